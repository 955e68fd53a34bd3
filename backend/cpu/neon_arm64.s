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
