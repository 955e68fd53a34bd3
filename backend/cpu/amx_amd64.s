// Hand-written: Go's assembler has no AMX mnemonics, so each AMX instruction
// is BYTE-encoded (encodings from llvm-mc -mattr=+amx-tile,+amx-bf16) with the
// instruction in the comment beside it.

#include "textflag.h"

// func amxKernel16x32(ksteps int, ah, al *uint16, lda int, b *uint16, c *float32, ldc int, acc int)
//
// C[16x32] = sum over ksteps of 32: Ah*Bh + Al*Bh + Ah*Bl (bf16 products,
// float32 accumulation), where Ah/Al are 16 rows x 32 bf16 (row stride lda
// bytes; one 1 KiB tile per step, tile-major) and b holds per step four 16x(16x2)
// VNNI tiles of 1 KiB: Bh cols 0-15, Bh cols 16-31, Bl cols 0-15, Bl cols
// 16-31. C (row stride ldc bytes) is overwritten, or accumulated into when
// acc != 0. The tiles must be configured (amxConfigure) on this thread.
// Tiles: tmm0/1 C halves, tmm4/5 Ah/Al, tmm6/7 B.
TEXT ·amxKernel16x32(SB), NOSPLIT, $0-64
	MOVQ ksteps+0(FP), AX
	MOVQ ah+8(FP), SI
	MOVQ al+16(FP), R8
	MOVQ lda+24(FP), DX
	MOVQ b+32(FP), R9
	MOVQ c+40(FP), CX
	MOVQ ldc+48(FP), BX
	MOVQ $64, R10
	MOVQ acc+56(FP), DI
	TESTQ DI, DI
	JNZ loadc
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero %tmm1
	JMP start

loadc:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x19 // tileloadd (%rcx,%rbx), %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x4c; BYTE $0x19; BYTE $0x40 // tileloadd 64(%rcx,%rbx), %tmm1

start:
	TESTQ AX, AX
	JZ store

loop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x16 // tileloadd (%rsi,%rdx), %tmm4
	BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x10 // tileloadd (%r8,%rdx), %tmm5
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x11 // tileloadd (%r9,%r10), %tmm6
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x04; BYTE $0x00; BYTE $0x00 // tileloadd 1024(%r9,%r10), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // tdpbf16ps %tmm6, %tmm4, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc // tdpbf16ps %tmm7, %tmm4, %tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc5 // tdpbf16ps %tmm6, %tmm5, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcd // tdpbf16ps %tmm7, %tmm5, %tmm1
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xb4; BYTE $0x11; BYTE $0x00; BYTE $0x08; BYTE $0x00; BYTE $0x00 // tileloadd 2048(%r9,%r10), %tmm6
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0xbc; BYTE $0x11; BYTE $0x00; BYTE $0x0c; BYTE $0x00; BYTE $0x00 // tileloadd 3072(%r9,%r10), %tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // tdpbf16ps %tmm6, %tmm4, %tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc // tdpbf16ps %tmm7, %tmm4, %tmm1
	ADDQ $1024, SI
	ADDQ $1024, R8
	ADDQ $4096, R9
	DECQ AX
	JNZ loop

store:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x19 // tilestored %tmm0, (%rcx,%rbx)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x19; BYTE $0x40 // tilestored %tmm1, 64(%rcx,%rbx)
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
