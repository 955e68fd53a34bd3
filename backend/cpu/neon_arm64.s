// Hand-written arm64 Advanced SIMD (NEON) kernels. See dispatch_arm64.go.
// The Go assembler has no mnemonics for the vector FADD/FSUB/FMUL
// (arrangement form), so those are emitted with WORD; each is annotated with
// the instruction it encodes.

#include "textflag.h"

// func sgemmKernel6x16NEON(k int, a, b, c *float32, ldc int, acc int)
// 6x16 tile in V8..V31 (row i in V(8+4i)..V(11+4i)); B row in V0..V3;
// A elements broadcast with LD1R into V4/V5.
TEXT ·sgemmKernel6x16NEON(SB), NOSPLIT, $0-48
	MOVD	k+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	MOVD	c+24(FP), R3
	MOVD	ldc+32(FP), R4
	MOVD	acc+40(FP), R5
	LSL	$2, R4
	CBZ	R5, zero
	MOVD	R3, R6
	VLD1	(R6), [V8.S4, V9.S4, V10.S4, V11.S4]
	ADD	R4, R6
	VLD1	(R6), [V12.S4, V13.S4, V14.S4, V15.S4]
	ADD	R4, R6
	VLD1	(R6), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD	R4, R6
	VLD1	(R6), [V20.S4, V21.S4, V22.S4, V23.S4]
	ADD	R4, R6
	VLD1	(R6), [V24.S4, V25.S4, V26.S4, V27.S4]
	ADD	R4, R6
	VLD1	(R6), [V28.S4, V29.S4, V30.S4, V31.S4]
	B	check
zero:
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
check:
	CBZ	R0, store
loop:
	VLD1.P	64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1R.P	4(R1), [V4.S4]
	VFMLA	V0.S4, V4.S4, V8.S4
	VFMLA	V1.S4, V4.S4, V9.S4
	VFMLA	V2.S4, V4.S4, V10.S4
	VFMLA	V3.S4, V4.S4, V11.S4
	VLD1R.P	4(R1), [V5.S4]
	VFMLA	V0.S4, V5.S4, V12.S4
	VFMLA	V1.S4, V5.S4, V13.S4
	VFMLA	V2.S4, V5.S4, V14.S4
	VFMLA	V3.S4, V5.S4, V15.S4
	VLD1R.P	4(R1), [V4.S4]
	VFMLA	V0.S4, V4.S4, V16.S4
	VFMLA	V1.S4, V4.S4, V17.S4
	VFMLA	V2.S4, V4.S4, V18.S4
	VFMLA	V3.S4, V4.S4, V19.S4
	VLD1R.P	4(R1), [V5.S4]
	VFMLA	V0.S4, V5.S4, V20.S4
	VFMLA	V1.S4, V5.S4, V21.S4
	VFMLA	V2.S4, V5.S4, V22.S4
	VFMLA	V3.S4, V5.S4, V23.S4
	VLD1R.P	4(R1), [V4.S4]
	VFMLA	V0.S4, V4.S4, V24.S4
	VFMLA	V1.S4, V4.S4, V25.S4
	VFMLA	V2.S4, V4.S4, V26.S4
	VFMLA	V3.S4, V4.S4, V27.S4
	VLD1R.P	4(R1), [V5.S4]
	VFMLA	V0.S4, V5.S4, V28.S4
	VFMLA	V1.S4, V5.S4, V29.S4
	VFMLA	V2.S4, V5.S4, V30.S4
	VFMLA	V3.S4, V5.S4, V31.S4
	SUB	$1, R0
	CBNZ	R0, loop
store:
	VST1	[V8.S4, V9.S4, V10.S4, V11.S4], (R3)
	ADD	R4, R3
	VST1	[V12.S4, V13.S4, V14.S4, V15.S4], (R3)
	ADD	R4, R3
	VST1	[V16.S4, V17.S4, V18.S4, V19.S4], (R3)
	ADD	R4, R3
	VST1	[V20.S4, V21.S4, V22.S4, V23.S4], (R3)
	ADD	R4, R3
	VST1	[V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	ADD	R4, R3
	VST1	[V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET

// func addNEON(dst, a, b *float32, n int), n a multiple of 4.
TEXT ·addNEON(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	MOVD	n+24(FP), R3
	LSR	$2, R3
	CBZ	R3, addNEON_done
addNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	VLD1.P	16(R2), [V1.S4]
	WORD	$0x4E21D402	// FADD V2.4S, V0.4S, V1.4S
	VST1.P	[V2.S4], 16(R0)
	SUB	$1, R3
	CBNZ	R3, addNEON_loop
addNEON_done:
	RET

// func subNEON(dst, a, b *float32, n int), n a multiple of 4.
TEXT ·subNEON(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	MOVD	n+24(FP), R3
	LSR	$2, R3
	CBZ	R3, subNEON_done
subNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	VLD1.P	16(R2), [V1.S4]
	WORD	$0x4EA1D402	// FSUB V2.4S, V0.4S, V1.4S
	VST1.P	[V2.S4], 16(R0)
	SUB	$1, R3
	CBNZ	R3, subNEON_loop
subNEON_done:
	RET

// func mulNEON(dst, a, b *float32, n int), n a multiple of 4.
TEXT ·mulNEON(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	MOVD	n+24(FP), R3
	LSR	$2, R3
	CBZ	R3, mulNEON_done
mulNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	VLD1.P	16(R2), [V1.S4]
	WORD	$0x6E21DC02	// FMUL V2.4S, V0.4S, V1.4S
	VST1.P	[V2.S4], 16(R0)
	SUB	$1, R3
	CBNZ	R3, mulNEON_loop
mulNEON_done:
	RET

// func addScalarNEON(dst, a *float32, n int, s float32), n a multiple of 4.
TEXT ·addScalarNEON(SB), NOSPLIT, $0-28
	MOVD	dst+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	n+16(FP), R3
	FMOVS	s+24(FP), F1
	VDUP	V1.S[0], V1.S4
	LSR	$2, R3
	CBZ	R3, addScalarNEON_done
addScalarNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4E21D402	// FADD V2.4S, V0.4S, V1.4S
	VST1.P	[V2.S4], 16(R0)
	SUB	$1, R3
	CBNZ	R3, addScalarNEON_loop
addScalarNEON_done:
	RET

// func mulScalarNEON(dst, a *float32, n int, s float32), n a multiple of 4.
TEXT ·mulScalarNEON(SB), NOSPLIT, $0-28
	MOVD	dst+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	n+16(FP), R3
	FMOVS	s+24(FP), F1
	VDUP	V1.S[0], V1.S4
	LSR	$2, R3
	CBZ	R3, mulScalarNEON_done
mulScalarNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x6E21DC02	// FMUL V2.4S, V0.4S, V1.4S
	VST1.P	[V2.S4], 16(R0)
	SUB	$1, R3
	CBNZ	R3, mulScalarNEON_loop
mulScalarNEON_done:
	RET

// func i8KernelNEONDot(k4 int, a *uint8, b *int8, c *int32, ldc int)
// The 4x16 int8 tile of i8KernelGeneric with SDOT (FEAT_DotProd): unsigned A
// is made signed by flipping its top bit (a' = a - 128) and the product
// corrected with 128 * (column sums of B), which a fifth SDOT per B vector
// against ones accumulates: sum a*b = sum a'*b + 128 * sum b. Exact.
// Accumulators: row i, columns 4v..4v+3 in V(16+4i+v); column sums in
// V8..V11; B in V0..V3, A in V4, ones in V5, 0x80 bytes in V6. SDOT has no
// Go mnemonic: WORD-encoded (llvm-mc) with the instruction beside each.
TEXT ·i8KernelNEONDot(SB), NOSPLIT, $0-40
	MOVD	k4+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	MOVD	c+24(FP), R3
	MOVD	ldc+32(FP), R4
	LSL	$2, R4
	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16
	MOVW	$0x01010101, R5
	VEOR	V5.B16, V5.B16, V5.B16
	VMOV	R5, V5.S[0]
	MOVW	$0x80808080, R6
	VDUP	R6, V6.S4
	CBZ	R0, i8store

i8loop:
	VLD1.P	16(R1), [V4.B16]
	VLD1.P	64(R2), [V0.B16, V1.B16, V2.B16, V3.B16]
	VEOR	V6.B16, V4.B16, V4.B16
	WORD $0x4f84e010 // sdot v16.4s, v0.16b, v4.4b[0]
	WORD $0x4f84e031 // sdot v17.4s, v1.16b, v4.4b[0]
	WORD $0x4f84e052 // sdot v18.4s, v2.16b, v4.4b[0]
	WORD $0x4f84e073 // sdot v19.4s, v3.16b, v4.4b[0]
	WORD $0x4fa4e014 // sdot v20.4s, v0.16b, v4.4b[1]
	WORD $0x4fa4e035 // sdot v21.4s, v1.16b, v4.4b[1]
	WORD $0x4fa4e056 // sdot v22.4s, v2.16b, v4.4b[1]
	WORD $0x4fa4e077 // sdot v23.4s, v3.16b, v4.4b[1]
	WORD $0x4f84e818 // sdot v24.4s, v0.16b, v4.4b[2]
	WORD $0x4f84e839 // sdot v25.4s, v1.16b, v4.4b[2]
	WORD $0x4f84e85a // sdot v26.4s, v2.16b, v4.4b[2]
	WORD $0x4f84e87b // sdot v27.4s, v3.16b, v4.4b[2]
	WORD $0x4fa4e81c // sdot v28.4s, v0.16b, v4.4b[3]
	WORD $0x4fa4e83d // sdot v29.4s, v1.16b, v4.4b[3]
	WORD $0x4fa4e85e // sdot v30.4s, v2.16b, v4.4b[3]
	WORD $0x4fa4e87f // sdot v31.4s, v3.16b, v4.4b[3]
	WORD $0x4f85e008 // sdot v8.4s, v0.16b, v5.4b[0]
	WORD $0x4f85e029 // sdot v9.4s, v1.16b, v5.4b[0]
	WORD $0x4f85e04a // sdot v10.4s, v2.16b, v5.4b[0]
	WORD $0x4f85e06b // sdot v11.4s, v3.16b, v5.4b[0]
	SUBS	$1, R0, R0
	BNE	i8loop

i8store:
	VSHL	$7, V8.S4, V8.S4
	VSHL	$7, V9.S4, V9.S4
	VSHL	$7, V10.S4, V10.S4
	VSHL	$7, V11.S4, V11.S4
	VADD	V8.S4, V16.S4, V16.S4
	VADD	V9.S4, V17.S4, V17.S4
	VADD	V10.S4, V18.S4, V18.S4
	VADD	V11.S4, V19.S4, V19.S4
	VADD	V8.S4, V20.S4, V20.S4
	VADD	V9.S4, V21.S4, V21.S4
	VADD	V10.S4, V22.S4, V22.S4
	VADD	V11.S4, V23.S4, V23.S4
	VADD	V8.S4, V24.S4, V24.S4
	VADD	V9.S4, V25.S4, V25.S4
	VADD	V10.S4, V26.S4, V26.S4
	VADD	V11.S4, V27.S4, V27.S4
	VADD	V8.S4, V28.S4, V28.S4
	VADD	V9.S4, V29.S4, V29.S4
	VADD	V10.S4, V30.S4, V30.S4
	VADD	V11.S4, V31.S4, V31.S4
	VST1	[V16.S4, V17.S4, V18.S4, V19.S4], (R3)
	ADD	R4, R3
	VST1	[V20.S4, V21.S4, V22.S4, V23.S4], (R3)
	ADD	R4, R3
	VST1	[V24.S4, V25.S4, V26.S4, V27.S4], (R3)
	ADD	R4, R3
	VST1	[V28.S4, V29.S4, V30.S4, V31.S4], (R3)
	RET
