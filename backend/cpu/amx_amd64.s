// Hand-written: Go's assembler has no AMX mnemonics, so each AMX instruction
// is BYTE-encoded (encodings from llvm-mc -mattr=+amx-tile,+amx-bf16,+amx-int8) with the
// instruction in the comment beside it.
//
// Measured on Sapphire Rapids (BenchmarkAMXKernelOnly and the experiments
// described in amx.go): a TDPBF16PS runs at the tile unit's full rate when it
// accumulates into the same tile as the one before it, and at a fraction of
// it when consecutive products alternate between accumulators; a tile load
// waits for every earlier product reading the tile it overwrites. So both
// kernels compute the 16x32 block of C as two 16x16 tiles, tmm0 then tmm1,
// each receiving all of a K step's products in a row, and order the products
// so that the operand a later load replaces is read early.

#include "textflag.h"

// func amxKernel3(ksteps int, a *uint16, b *uint16, cin *float32, ldcin int, cout *float32, ldcout int, pf *uint16, pfn int)
//
// BF16x3: C[16x32] = sum over ksteps of 32: Ah*Bh + Al*Bh + Ah*Bl (bf16
// products, float32 accumulation), where a holds per step two 16x32 tiles of
// 1 KiB (Ah, Al) and b per step four 16x(16x2) VNNI tiles of 1 KiB: Bh cols
// 0-15, Bh cols 16-31, Bl cols 0-15, Bl cols 16-31. The sum starts from the
// 16x32 block at cin (row stride ldcin bytes), or from zero when cin is nil,
// and is stored at cout (row stride ldcout bytes). The tiles must be
// configured (amxConfigure) on this thread. Each step also prefetches (into
// L2) pfn cache lines from pf on: B a column block ahead.
// Tiles: tmm0/1 C halves, tmm2/3 Ah/Al, tmm4/5 Bh/Bl cols 0-15, tmm6/7 cols 16-31.
TEXT ·amxKernel3(SB), NOSPLIT, $0-72
	MOVQ ksteps+0(FP), AX
	MOVQ pf+56(FP), R11
	MOVQ pfn+64(FP), R8
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R9
	MOVQ cin+24(FP), CX
	MOVQ ldcin+32(FP), BX
	MOVQ cout+40(FP), R12
	MOVQ ldcout+48(FP), R13
	MOVQ $64, DX
	MOVQ $64, R10
	TESTQ CX, CX
	JNZ x3loadc
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero %tmm1
	JMP x3start

x3loadc:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x19 // tileloadd (%rcx,%rbx), %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x4c; BYTE $0x19; BYTE $0x40 // tileloadd 64(%rcx,%rbx), %tmm1

x3start:
	TESTQ AX, AX
	JZ x3store

x3loop:
	MOVQ R8, DI
	TESTQ DI, DI
	JZ x3nopf

x3pf:
	PREFETCHT1 (R11)
	ADDQ $64, R11
	DECQ DI
	JNZ x3pf

x3nopf:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x14; BYTE $0x16 // tileloadd (%rsi,%rdx), %tmm2
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xac; BYTE $0x11; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%r9,%r10), %tmm5
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x11 // tileloadd (%r9,%r10), %tmm4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x9c; BYTE $0x16; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%rsi,%rdx), %tmm3
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm5, %tmm2, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x5a; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm4, %tmm2, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x5a; BYTE $0x5c; BYTE $0xc3 // tdpbf16ps %tmm4, %tmm3, %tmm0
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x0c; BYTE $0x00; BYTE $0x00 // tileloadd 3072(%r9,%r10), %tmm7
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%r9,%r10), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xca // tdpbf16ps %tmm7, %tmm2, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xca // tdpbf16ps %tmm6, %tmm2, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xcb // tdpbf16ps %tmm6, %tmm3, %tmm1
	ADDQ $2048, SI
	ADDQ $4096, R9
	DECQ AX
	JNZ x3loop

x3store:
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x2c // tilestored %tmm0, (%r12,%r13)
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x2c; BYTE $0x40 // tilestored %tmm1, 64(%r12,%r13)
	RET

// func amxKernel6(ksteps int, a *uint16, b *uint16, cin *float32, ldcin int, cout *float32, ldcout int, pf *uint16, pfn int)
//
// BF16x6: each float32 is split into three bfloat16, h + m + l, which carry
// its 24 significant bits; C[16x32] = sum over ksteps of 32 of the six
// products whose terms weigh at least 2^-16 of the leading one: Ah*Bh,
// Ah*Bm, Am*Bh, Ah*Bl, Am*Bm, Al*Bh (the dropped ones weigh 2^-24 and less,
// float32's own rounding). a holds per step three 16x32 tiles of 1 KiB (Ah,
// Am, Al), b per step six 16x(16x2) VNNI tiles of 1 KiB (Bh cols 0-15, Bh
// cols 16-31, Bm 0-15, Bm 16-31, Bl 0-15, Bl 16-31). cin and cout as for
// amxKernel3.
// Tiles: tmm0/1 C halves, tmm2/3/4 Ah/Am/Al, tmm5/6/7 Bh/Bm/Bl of one half.
// Each half takes its products smallest first: Ah*Bl, Ah*Bm, Am*Bm, Ah*Bh,
// Am*Bh, Al*Bh (the Bl and Bm tiles are free for the next half's loads early).
TEXT ·amxKernel6(SB), NOSPLIT, $0-72
	MOVQ ksteps+0(FP), AX
	MOVQ pf+56(FP), R11
	MOVQ pfn+64(FP), R8
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R9
	MOVQ cin+24(FP), CX
	MOVQ ldcin+32(FP), BX
	MOVQ cout+40(FP), R12
	MOVQ ldcout+48(FP), R13
	MOVQ $64, DX
	MOVQ $64, R10
	TESTQ CX, CX
	JNZ x6loadc
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero %tmm1
	JMP x6start

x6loadc:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x19 // tileloadd (%rcx,%rbx), %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x4c; BYTE $0x19; BYTE $0x40 // tileloadd 64(%rcx,%rbx), %tmm1

x6start:
	TESTQ AX, AX
	JZ x6store

x6loop:
	MOVQ R8, DI
	TESTQ DI, DI
	JZ x6nopf

x6pf:
	PREFETCHT1 (R11)
	ADDQ $64, R11
	DECQ DI
	JNZ x6pf

x6nopf:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x14; BYTE $0x16 // tileloadd (%rsi,%rdx), %tmm2
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x10; BYTE $0x00; BYTE $0x00 // tileloadd 4096(%r9,%r10), %tmm7
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%r9,%r10), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x9c; BYTE $0x16; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%rsi,%rdx), %tmm3
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x11 // tileloadd (%r9,%r10), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0xa4; BYTE $0x16; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%rsi,%rdx), %tmm4
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm7, %tmm2, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm6, %tmm2, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc3 // tdpbf16ps %tmm6, %tmm3, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm5, %tmm2, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xc3 // tdpbf16ps %tmm5, %tmm3, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xc4 // tdpbf16ps %tmm5, %tmm4, %tmm0
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x14; BYTE $0x00; BYTE $0x00 // tileloadd 5120(%r9,%r10), %tmm7
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x0c; BYTE $0x00; BYTE $0x00 // tileloadd 3072(%r9,%r10), %tmm6
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xac; BYTE $0x11; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%r9,%r10), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xca // tdpbf16ps %tmm7, %tmm2, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xca // tdpbf16ps %tmm6, %tmm2, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xcb // tdpbf16ps %tmm6, %tmm3, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xca // tdpbf16ps %tmm5, %tmm2, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xcb // tdpbf16ps %tmm5, %tmm3, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xcc // tdpbf16ps %tmm5, %tmm4, %tmm1
	ADDQ $3072, SI
	ADDQ $6144, R9
	DECQ AX
	JNZ x6loop

x6store:
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x2c // tilestored %tmm0, (%r12,%r13)
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x2c; BYTE $0x40 // tilestored %tmm1, 64(%r12,%r13)
	RET

// func amxKernelI8(ksteps int, a *int8, b *int8, cin *int32, cout *int32, pf *int8, pfn int)
//
// INT8x6: the int32 slice sums of a 16x32 block of C over ksteps steps of 64
// along K, each float32 of A and B split into three int8 slices (A by rows, B
// by columns; see amxi8.go): G0 = A0*B0, G1 = A0*B1 + A1*B0 and G2 = A0*B2 +
// A1*B1 + A2*B0, exact in int32. a holds per step three 16x64 tiles of 1 KiB
// (A0, A1, A2), b per step six 16x(16x4) VNNI tiles (cols 0-15: B0, B1, B2;
// cols 16-31: B0, B1, B2). The sums start from cin (six 1 KiB tiles, half h's
// Gg at (3h+g) KiB), or from zero when cin is nil, and are stored at cout in
// the same layout. The tiles must be configured (amxConfigure) on this
// thread. Each step of the first half prefetches (into L2) pfn cache lines
// from pf on.
// Tiles: tmm0/1/2 G0/G1/G2 of one half, tmm3/4/5 A0/A1/A2, tmm6/7 B slices.
// Each half takes its products G2 first (B2 is read once, early, and its tile
// then takes B0), and runs on one accumulator at a time.
TEXT ·amxKernelI8(SB), NOSPLIT, $0-56
	MOVQ pf+40(FP), R11
	MOVQ pfn+48(FP), R8
	MOVQ cin+24(FP), CX
	MOVQ cout+32(FP), R12
	MOVQ $64, DX

	MOVQ ksteps+0(FP), AX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R9
	TESTQ CX, CX
	JNZ xi0loadc
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 // tilezero %tmm2
	JMP xi0start

xi0loadc:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x11 // tileloadd 0(%rcx,%rdx), %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x8c; BYTE $0x11; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%rcx,%rdx), %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x94; BYTE $0x11; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%rcx,%rdx), %tmm2

xi0start:
	TESTQ AX, AX
	JZ xi0store

xi0loop:
	MOVQ R8, DI
	TESTQ DI, DI
	JZ xi0nopf

xi0pf:
	PREFETCHT1 (R11)
	ADDQ $64, R11
	DECQ DI
	JNZ xi0pf

xi0nopf:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x1c; BYTE $0x16 // tileloadd (%rsi,%rdx), %tmm3
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%r9,%rdx), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0xa4; BYTE $0x16; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%rsi,%rdx), %tmm4
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%r9,%rdx), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0xac; BYTE $0x16; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%rsi,%rdx), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xd3 // tdpbssd %tmm6, %tmm3, %tmm2
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x11 // tileloadd (%r9,%rdx), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x43; BYTE $0x5e; BYTE $0xd4 // tdpbssd %tmm7, %tmm4, %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xd5 // tdpbssd %tmm6, %tmm5, %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x43; BYTE $0x5e; BYTE $0xcb // tdpbssd %tmm7, %tmm3, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xcc // tdpbssd %tmm6, %tmm4, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xc3 // tdpbssd %tmm6, %tmm3, %tmm0
	ADDQ $3072, SI
	ADDQ $6144, R9
	DECQ AX
	JNZ xi0loop

xi0store:
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x14 // tilestored %tmm0, (%r12,%rdx)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x8c; BYTE $0x14; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tilestored %tmm1, 1024(%r12,%rdx)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x94; BYTE $0x14; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tilestored %tmm2, 2048(%r12,%rdx)

	MOVQ ksteps+0(FP), AX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R9
	TESTQ CX, CX
	JNZ xi1loadc
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 // tilezero %tmm2
	JMP xi1start

xi1loadc:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x84; BYTE $0x11; BYTE $0x00; BYTE $0x0c; BYTE $0x00; BYTE $0x00 // tileloadd 3072(%rcx,%rdx), %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x8c; BYTE $0x11; BYTE $0x00; BYTE $0x10; BYTE $0x00; BYTE $0x00 // tileloadd 4096(%rcx,%rdx), %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x94; BYTE $0x11; BYTE $0x00; BYTE $0x14; BYTE $0x00; BYTE $0x00 // tileloadd 5120(%rcx,%rdx), %tmm2

xi1start:
	TESTQ AX, AX
	JZ xi1store

xi1loop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x1c; BYTE $0x16 // tileloadd (%rsi,%rdx), %tmm3
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x14; BYTE $0x00; BYTE $0x00 // tileloadd 5120(%r9,%rdx), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0xa4; BYTE $0x16; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%rsi,%rdx), %tmm4
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x10; BYTE $0x00; BYTE $0x00 // tileloadd 4096(%r9,%rdx), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0xac; BYTE $0x16; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%rsi,%rdx), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xd3 // tdpbssd %tmm6, %tmm3, %tmm2
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x0c; BYTE $0x00; BYTE $0x00 // tileloadd 3072(%r9,%rdx), %tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x43; BYTE $0x5e; BYTE $0xd4 // tdpbssd %tmm7, %tmm4, %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xd5 // tdpbssd %tmm6, %tmm5, %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x43; BYTE $0x5e; BYTE $0xcb // tdpbssd %tmm7, %tmm3, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xcc // tdpbssd %tmm6, %tmm4, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4b; BYTE $0x5e; BYTE $0xc3 // tdpbssd %tmm6, %tmm3, %tmm0
	ADDQ $3072, SI
	ADDQ $6144, R9
	DECQ AX
	JNZ xi1loop

xi1store:
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x84; BYTE $0x14; BYTE $0x00; BYTE $0x0c; BYTE $0x00; BYTE $0x00 // tilestored %tmm0, 3072(%r12,%rdx)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x8c; BYTE $0x14; BYTE $0x00; BYTE $0x10; BYTE $0x00; BYTE $0x00 // tilestored %tmm1, 4096(%r12,%rdx)
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7a; BYTE $0x4b; BYTE $0x94; BYTE $0x14; BYTE $0x00; BYTE $0x14; BYTE $0x00; BYTE $0x00 // tilestored %tmm2, 5120(%r12,%rdx)
	RET

// func amxConfigure(cfg *byte)
// Loads the tile configuration (LDTILECFG). The caller holds its OS thread
// (runtime.LockOSThread) until amxRelease: tile state belongs to the thread.
TEXT ·amxConfigure(SB), NOSPLIT, $0-8
	MOVQ cfg+0(FP), DI
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x07 // ldtilecfg (%rdi)
	RET

// func amxRelease()
TEXT ·amxRelease(SB), NOSPLIT, $0-0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // tilerelease
	RET

// func amxOverlapProbe(iters, groups int, tiles *uint16, tdp bool)
//
// A probe of how the tile unit and the FMA units share a core (for
// BenchmarkAMXWithFMA; not used by the kernels): each iteration runs twelve
// products into one accumulator in a row (as amxKernel6 gives each half of C
// its products) on tiles loaded once from tiles (2 KiB; tdp false skips
// them), each product followed by groups groups of twelve independent 16-lane
// FMAs on registers.
TEXT ·amxOverlapProbe(SB), NOSPLIT, $0-25
	MOVQ iters+0(FP), AX
	MOVQ groups+8(FP), R8
	MOVQ tiles+16(FP), SI
	MOVBQZX tdp+24(FP), R9
	MOVQ $64, DX
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x14; BYTE $0x16 // tileloadd (%rsi,%rdx), %tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0xac; BYTE $0x16; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%rsi,%rdx), %tmm5
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	VXORPS Z13, Z13, Z13
	VXORPS Z12, Z12, Z12
	TESTQ AX, AX
	JZ opdone

oploop:
	MOVQ $12, BX

opprod:
	TESTQ R9, R9
	JZ opskip
	BYTE $0xc4; BYTE $0xe2; BYTE $0x52; BYTE $0x5c; BYTE $0xc2 // tdpbf16ps %tmm5, %tmm2, %tmm0

opskip:
	MOVQ R8, CX
	TESTQ CX, CX
	JZ opnext

opfma:
	VFMADD231PS Z12, Z13, Z0
	VFMADD231PS Z12, Z13, Z1
	VFMADD231PS Z12, Z13, Z2
	VFMADD231PS Z12, Z13, Z3
	VFMADD231PS Z12, Z13, Z4
	VFMADD231PS Z12, Z13, Z5
	VFMADD231PS Z12, Z13, Z6
	VFMADD231PS Z12, Z13, Z7
	VFMADD231PS Z12, Z13, Z8
	VFMADD231PS Z12, Z13, Z9
	VFMADD231PS Z12, Z13, Z10
	VFMADD231PS Z12, Z13, Z11
	DECQ CX
	JNZ opfma

opnext:
	DECQ BX
	JNZ opprod
	DECQ AX
	JNZ oploop

opdone:
	VZEROUPPER
	RET
