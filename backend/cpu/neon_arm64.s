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

// ERFC_POLY: from v4 = 1 + z/2, t = 1/v4 into v5 (FRECPE and two FRECPS
// steps) and Numerical Recipes' erfc polynomial P(t) into v6 (coefficients in
// V21-V30). Clobbers v7. Shared by geluNEON and erfNEON, whose constant
// tables put these registers (and those of ERFC_EXP) at the same offsets.
#define ERFC_POLY \
	WORD	$0x4ea1d885 /* frecpe v5.4s, v4.4s */; \
	WORD	$0x4e25fc86 /* frecps v6.4s, v4.4s, v5.4s */; \
	WORD	$0x6e26dca5 /* fmul v5.4s, v5.4s, v6.4s */; \
	WORD	$0x4e25fc86 /* frecps v6.4s, v4.4s, v5.4s */; \
	WORD	$0x6e26dca5 /* fmul v5.4s, v5.4s, v6.4s */; \
	WORD	$0x4ebe1fc7 /* mov v7.16b, v30.16b */; \
	WORD	$0x4ebd1fa6 /* mov v6.16b, v29.16b */; \
	WORD	$0x4e25cce6 /* fmla v6.4s, v7.4s, v5.4s */; \
	WORD	$0x4ebc1f87 /* mov v7.16b, v28.16b */; \
	WORD	$0x4e25ccc7 /* fmla v7.4s, v6.4s, v5.4s */; \
	WORD	$0x4ebb1f66 /* mov v6.16b, v27.16b */; \
	WORD	$0x4e25cce6 /* fmla v6.4s, v7.4s, v5.4s */; \
	WORD	$0x4eba1f47 /* mov v7.16b, v26.16b */; \
	WORD	$0x4e25ccc7 /* fmla v7.4s, v6.4s, v5.4s */; \
	WORD	$0x4eb91f26 /* mov v6.16b, v25.16b */; \
	WORD	$0x4e25cce6 /* fmla v6.4s, v7.4s, v5.4s */; \
	WORD	$0x4eb81f07 /* mov v7.16b, v24.16b */; \
	WORD	$0x4e25ccc7 /* fmla v7.4s, v6.4s, v5.4s */; \
	WORD	$0x4eb71ee6 /* mov v6.16b, v23.16b */; \
	WORD	$0x4e25cce6 /* fmla v6.4s, v7.4s, v5.4s */; \
	WORD	$0x4eb61ec7 /* mov v7.16b, v22.16b */; \
	WORD	$0x4e25ccc7 /* fmla v7.4s, v6.4s, v5.4s */; \
	WORD	$0x4eb51ea6 /* mov v6.16b, v21.16b */; \
	WORD	$0x4e25cce6 /* fmla v6.4s, v7.4s, v5.4s */

// ERFC_EXP: v6 = t*exp(v6) with t in v5: the argument clamped at -87.3
// (V19), Cody-Waite reduction (V15 log2 e, V16 the 1.5*2^23 shifter, V17 ln 2
// hi/lo and two polynomial terms, V18 the others), 2^n from the shifter with
// bias 127 (V20). Clobbers v3, v4, v7-v9.
#define ERFC_EXP \
	WORD	$0x4e33f4c6 /* fmax v6.4s, v6.4s, v19.4s */; \
	WORD	$0x4eb01e08 /* mov v8.16b, v16.16b */; \
	WORD	$0x4e2fccc8 /* fmla v8.4s, v6.4s, v15.4s */; \
	WORD	$0x4eb0d509 /* fsub v9.4s, v8.4s, v16.4s */; \
	WORD	$0x4f915126 /* fmls v6.4s, v9.4s, v17.s[0] */; \
	WORD	$0x4fb15126 /* fmls v6.4s, v9.4s, v17.s[1] */; \
	WORD	$0x4e040643 /* dup v3.4s, v18.s[0] */; \
	WORD	$0x4e0c0644 /* dup v4.4s, v18.s[1] */; \
	WORD	$0x4e26cc64 /* fmla v4.4s, v3.4s, v6.4s */; \
	WORD	$0x4e140643 /* dup v3.4s, v18.s[2] */; \
	WORD	$0x4e26cc83 /* fmla v3.4s, v4.4s, v6.4s */; \
	WORD	$0x4e1c0644 /* dup v4.4s, v18.s[3] */; \
	WORD	$0x4e26cc64 /* fmla v4.4s, v3.4s, v6.4s */; \
	WORD	$0x4e140623 /* dup v3.4s, v17.s[2] */; \
	WORD	$0x4e26cc83 /* fmla v3.4s, v4.4s, v6.4s */; \
	WORD	$0x4e1c0624 /* dup v4.4s, v17.s[3] */; \
	WORD	$0x4e26cc64 /* fmla v4.4s, v3.4s, v6.4s */; \
	WORD	$0x6e26dcc7 /* fmul v7.4s, v6.4s, v6.4s */; \
	WORD	$0x4e27cc86 /* fmla v6.4s, v4.4s, v7.4s */; \
	WORD	$0x4e2cd4c6 /* fadd v6.4s, v6.4s, v12.4s */; \
	WORD	$0x4eb48508 /* add v8.4s, v8.4s, v20.4s */; \
	WORD	$0x4f375508 /* shl v8.4s, v8.4s, #23 */; \
	WORD	$0x6e28dcc6 /* fmul v6.4s, v6.4s, v8.4s */; \
	WORD	$0x6e25dcc6 /* fmul v6.4s, v6.4s, v5.4s */

// func geluNEON(dst, src *float32, n int)
// Exact GELU, 0.5*x*erfc(-x/sqrt2), four lanes at a time for n a multiple of 4:
// the algorithm of the AVX2/AVX-512 kernels (erfc(z) = t*exp(-z^2 + P(t)),
// t = 1/(1+z/2) by FRECPE and two FRECPS steps, Numerical Recipes' P; exp by
// Cody-Waite reduction, Cephes' polynomial and 2^n from the 1.5*2^23 shifter;
// x<0 ? h : x-h with h = 0.5*x*erfc(|x|/sqrt2), x clamped to +-1e30 inside).
// Constants live in V10-V30 (geluNEONConsts). The vector float instructions
// have no Go mnemonics: WORD-encoded (llvm-mc) with the instruction beside each.
TEXT ·geluNEON(SB), NOSPLIT, $0-24
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	$·geluNEONConsts(SB), R3
	VLD1.P	64(R3), [V10.S4, V11.S4, V12.S4, V13.S4]
	VLD1.P	64(R3), [V14.S4, V15.S4, V16.S4, V17.S4]
	VLD1.P	64(R3), [V18.S4, V19.S4, V20.S4, V21.S4]
	VLD1.P	64(R3), [V22.S4, V23.S4, V24.S4, V25.S4]
	VLD1.P	64(R3), [V26.S4, V27.S4, V28.S4, V29.S4]
	VLD1	(R3), [V30.S4]
	LSR	$2, R2
	CBZ	R2, gelu_done

gelu_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4e2ef401 // fmax v1.4s, v0.4s, v14.4s
	WORD	$0x4eadf421 // fmin v1.4s, v1.4s, v13.4s
	WORD	$0x4ea0f822 // fabs v2.4s, v1.4s
	WORD	$0x6e2adc43 // fmul v3.4s, v2.4s, v10.4s
	WORD	$0x4eac1d84 // mov v4.16b, v12.16b
	WORD	$0x4e2bcc64 // fmla v4.4s, v3.4s, v11.4s
	ERFC_POLY
	WORD	$0x6e2bdc43 // fmul v3.4s, v2.4s, v11.4s
	WORD	$0x4ea2cc66 // fmls v6.4s, v3.4s, v2.4s
	ERFC_EXP
	WORD	$0x6e21dcc6 // fmul v6.4s, v6.4s, v1.4s
	WORD	$0x6e2bdcc6 // fmul v6.4s, v6.4s, v11.4s
	WORD	$0x4ea6d407 // fsub v7.4s, v0.4s, v6.4s
	WORD	$0x4ea0e803 // fcmlt v3.4s, v0.4s, #0.0
	WORD	$0x6e671cc3 // bsl v3.16b, v6.16b, v7.16b
	VST1.P	[V3.S4], 16(R0)
	SUBS	$1, R2, R2
	BNE	gelu_loop

gelu_done:
	RET

DATA	·geluNEONConsts+0(SB)/4, $0x3f3504f3 // 0.707107
DATA	·geluNEONConsts+4(SB)/4, $0x3f3504f3 // 0.707107
DATA	·geluNEONConsts+8(SB)/4, $0x3f3504f3 // 0.707107
DATA	·geluNEONConsts+12(SB)/4, $0x3f3504f3 // 0.707107
DATA	·geluNEONConsts+16(SB)/4, $0x3f000000 // 0.5
DATA	·geluNEONConsts+20(SB)/4, $0x3f000000 // 0.5
DATA	·geluNEONConsts+24(SB)/4, $0x3f000000 // 0.5
DATA	·geluNEONConsts+28(SB)/4, $0x3f000000 // 0.5
DATA	·geluNEONConsts+32(SB)/4, $0x3f800000 // 1
DATA	·geluNEONConsts+36(SB)/4, $0x3f800000 // 1
DATA	·geluNEONConsts+40(SB)/4, $0x3f800000 // 1
DATA	·geluNEONConsts+44(SB)/4, $0x3f800000 // 1
DATA	·geluNEONConsts+48(SB)/4, $0x7149f2ca // 1e+30
DATA	·geluNEONConsts+52(SB)/4, $0x7149f2ca // 1e+30
DATA	·geluNEONConsts+56(SB)/4, $0x7149f2ca // 1e+30
DATA	·geluNEONConsts+60(SB)/4, $0x7149f2ca // 1e+30
DATA	·geluNEONConsts+64(SB)/4, $0xf149f2ca // -1e+30
DATA	·geluNEONConsts+68(SB)/4, $0xf149f2ca // -1e+30
DATA	·geluNEONConsts+72(SB)/4, $0xf149f2ca // -1e+30
DATA	·geluNEONConsts+76(SB)/4, $0xf149f2ca // -1e+30
DATA	·geluNEONConsts+80(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluNEONConsts+84(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluNEONConsts+88(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluNEONConsts+92(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluNEONConsts+96(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluNEONConsts+100(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluNEONConsts+104(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluNEONConsts+108(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluNEONConsts+112(SB)/4, $0x3f318000 // 0.693359
DATA	·geluNEONConsts+116(SB)/4, $0xb95e8083 // -0.000212194
DATA	·geluNEONConsts+120(SB)/4, $0x3e2aaaaa // 0.166667
DATA	·geluNEONConsts+124(SB)/4, $0x3f000000 // 0.5
DATA	·geluNEONConsts+128(SB)/4, $0x39506967 // 0.000198757
DATA	·geluNEONConsts+132(SB)/4, $0x3ab743ce // 0.0013982
DATA	·geluNEONConsts+136(SB)/4, $0x3c088908 // 0.00833345
DATA	·geluNEONConsts+140(SB)/4, $0x3d2aa9c1 // 0.0416658
DATA	·geluNEONConsts+144(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluNEONConsts+148(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluNEONConsts+152(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluNEONConsts+156(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluNEONConsts+160(SB)/4, $127
DATA	·geluNEONConsts+164(SB)/4, $127
DATA	·geluNEONConsts+168(SB)/4, $127
DATA	·geluNEONConsts+172(SB)/4, $127
DATA	·geluNEONConsts+176(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·geluNEONConsts+180(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·geluNEONConsts+184(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·geluNEONConsts+188(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·geluNEONConsts+192(SB)/4, $0x3f8000c7 // 1.00002
DATA	·geluNEONConsts+196(SB)/4, $0x3f8000c7 // 1.00002
DATA	·geluNEONConsts+200(SB)/4, $0x3f8000c7 // 1.00002
DATA	·geluNEONConsts+204(SB)/4, $0x3f8000c7 // 1.00002
DATA	·geluNEONConsts+208(SB)/4, $0x3ebf88fb // 0.374092
DATA	·geluNEONConsts+212(SB)/4, $0x3ebf88fb // 0.374092
DATA	·geluNEONConsts+216(SB)/4, $0x3ebf88fb // 0.374092
DATA	·geluNEONConsts+220(SB)/4, $0x3ebf88fb // 0.374092
DATA	·geluNEONConsts+224(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·geluNEONConsts+228(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·geluNEONConsts+232(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·geluNEONConsts+236(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·geluNEONConsts+240(SB)/4, $0xbe3ec24c // -0.186288
DATA	·geluNEONConsts+244(SB)/4, $0xbe3ec24c // -0.186288
DATA	·geluNEONConsts+248(SB)/4, $0xbe3ec24c // -0.186288
DATA	·geluNEONConsts+252(SB)/4, $0xbe3ec24c // -0.186288
DATA	·geluNEONConsts+256(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·geluNEONConsts+260(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·geluNEONConsts+264(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·geluNEONConsts+268(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·geluNEONConsts+272(SB)/4, $0xbf914e5d // -1.1352
DATA	·geluNEONConsts+276(SB)/4, $0xbf914e5d // -1.1352
DATA	·geluNEONConsts+280(SB)/4, $0xbf914e5d // -1.1352
DATA	·geluNEONConsts+284(SB)/4, $0xbf914e5d // -1.1352
DATA	·geluNEONConsts+288(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·geluNEONConsts+292(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·geluNEONConsts+296(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·geluNEONConsts+300(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·geluNEONConsts+304(SB)/4, $0xbf527892 // -0.822152
DATA	·geluNEONConsts+308(SB)/4, $0xbf527892 // -0.822152
DATA	·geluNEONConsts+312(SB)/4, $0xbf527892 // -0.822152
DATA	·geluNEONConsts+316(SB)/4, $0xbf527892 // -0.822152
DATA	·geluNEONConsts+320(SB)/4, $0x3e2ef945 // 0.170873
DATA	·geluNEONConsts+324(SB)/4, $0x3e2ef945 // 0.170873
DATA	·geluNEONConsts+328(SB)/4, $0x3e2ef945 // 0.170873
DATA	·geluNEONConsts+332(SB)/4, $0x3e2ef945 // 0.170873
GLOBL	·geluNEONConsts(SB), RODATA|NOPTR, $336

// func expSubNEON(dst, x *float32, n int, m float32) float32
// dst[i] = exp(x[i] - m) for n a multiple of 4, returning the sum (the softmax
// numerators): x - m clamped at -88 (NaN kept), Cody-Waite reduction, Cephes'
// polynomial, 2^n from the 1.5*2^23 shifter with bias 127, so -Inf (masked)
// entries give exact zeros. Vector float instructions WORD-encoded (llvm-mc).
TEXT ·expSubNEON(SB), NOSPLIT, $0-36
	MOVD	dst+0(FP), R0
	MOVD	x+8(FP), R1
	MOVD	n+16(FP), R2
	FMOVS	m+24(FP), F31
	VDUP	V31.S[0], V31.S4
	MOVD	$·expSubNEONConsts(SB), R3
	VLD1.P	16(R3), [V12.S4]
	VLD1.P	64(R3), [V15.S4, V16.S4, V17.S4, V18.S4]
	VLD1	(R3), [V19.S4, V20.S4]
	VEOR	V30.B16, V30.B16, V30.B16
	LSR	$2, R2
	CBZ	R2, expsub_done

expsub_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4ebfd401 // fsub v1.4s, v0.4s, v31.4s
	WORD	$0x4e33f421 // fmax v1.4s, v1.4s, v19.4s
	WORD	$0x4eb01e08 // mov v8.16b, v16.16b
	WORD	$0x4e2fcc28 // fmla v8.4s, v1.4s, v15.4s
	WORD	$0x4eb0d509 // fsub v9.4s, v8.4s, v16.4s
	WORD	$0x4f915121 // fmls v1.4s, v9.4s, v17.s[0]
	WORD	$0x4fb15121 // fmls v1.4s, v9.4s, v17.s[1]
	WORD	$0x4e040643 // dup v3.4s, v18.s[0]
	WORD	$0x4e0c0644 // dup v4.4s, v18.s[1]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x4e140643 // dup v3.4s, v18.s[2]
	WORD	$0x4e21cc83 // fmla v3.4s, v4.4s, v1.4s
	WORD	$0x4e1c0644 // dup v4.4s, v18.s[3]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x4e140623 // dup v3.4s, v17.s[2]
	WORD	$0x4e21cc83 // fmla v3.4s, v4.4s, v1.4s
	WORD	$0x4e1c0624 // dup v4.4s, v17.s[3]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x6e21dc27 // fmul v7.4s, v1.4s, v1.4s
	WORD	$0x4e27cc81 // fmla v1.4s, v4.4s, v7.4s
	WORD	$0x4e2cd421 // fadd v1.4s, v1.4s, v12.4s
	WORD	$0x4eb48508 // add v8.4s, v8.4s, v20.4s
	WORD	$0x4f375508 // shl v8.4s, v8.4s, #23
	WORD	$0x6e28dc21 // fmul v1.4s, v1.4s, v8.4s
	WORD	$0x4e21d7de // fadd v30.4s, v30.4s, v1.4s
	VST1.P	[V1.S4], 16(R0)
	SUBS	$1, R2, R2
	BNE	expsub_loop

expsub_done:
	WORD	$0x6e3ed7de // faddp v30.4s, v30.4s, v30.4s
	WORD	$0x7e30dbde // faddp s30, v30.2s
	FMOVS	F30, ret+32(FP)
	RET

DATA	·expSubNEONConsts+0(SB)/4, $0x3f800000 // 1
DATA	·expSubNEONConsts+4(SB)/4, $0x3f800000 // 1
DATA	·expSubNEONConsts+8(SB)/4, $0x3f800000 // 1
DATA	·expSubNEONConsts+12(SB)/4, $0x3f800000 // 1
DATA	·expSubNEONConsts+16(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expSubNEONConsts+20(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expSubNEONConsts+24(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expSubNEONConsts+28(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expSubNEONConsts+32(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expSubNEONConsts+36(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expSubNEONConsts+40(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expSubNEONConsts+44(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expSubNEONConsts+48(SB)/4, $0x3f318000 // 0.693359
DATA	·expSubNEONConsts+52(SB)/4, $0xb95e8083 // -0.000212194
DATA	·expSubNEONConsts+56(SB)/4, $0x3e2aaaaa // 0.166667
DATA	·expSubNEONConsts+60(SB)/4, $0x3f000000 // 0.5
DATA	·expSubNEONConsts+64(SB)/4, $0x39506967 // 0.000198757
DATA	·expSubNEONConsts+68(SB)/4, $0x3ab743ce // 0.0013982
DATA	·expSubNEONConsts+72(SB)/4, $0x3c088908 // 0.00833345
DATA	·expSubNEONConsts+76(SB)/4, $0x3d2aa9c1 // 0.0416658
DATA	·expSubNEONConsts+80(SB)/4, $0xc2b00000 // -88
DATA	·expSubNEONConsts+84(SB)/4, $0xc2b00000 // -88
DATA	·expSubNEONConsts+88(SB)/4, $0xc2b00000 // -88
DATA	·expSubNEONConsts+92(SB)/4, $0xc2b00000 // -88
DATA	·expSubNEONConsts+96(SB)/4, $127
DATA	·expSubNEONConsts+100(SB)/4, $127
DATA	·expSubNEONConsts+104(SB)/4, $127
DATA	·expSubNEONConsts+108(SB)/4, $127
GLOBL	·expSubNEONConsts(SB), RODATA|NOPTR, $112

// func momentsNEON(x *float32, n int, k float32) (s, s2 float32)
// s = sum(x[i]-k), s2 = sum((x[i]-k)^2) for n a multiple of 4 (LayerNorm's
// shifted moments). Vector float instructions WORD-encoded (llvm-mc).
TEXT ·momentsNEON(SB), NOSPLIT, $0-32
	MOVD	x+0(FP), R1
	MOVD	n+8(FP), R2
	FMOVS	k+16(FP), F31
	VDUP	V31.S[0], V31.S4
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	LSR	$2, R2
	CBZ	R2, moments_done

moments_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4ebfd401 // fsub v1.4s, v0.4s, v31.4s
	WORD	$0x4e21d79c // fadd v28.4s, v28.4s, v1.4s
	WORD	$0x4e21cc3d // fmla v29.4s, v1.4s, v1.4s
	SUBS	$1, R2, R2
	BNE	moments_loop

moments_done:
	WORD	$0x6e3cd79c // faddp v28.4s, v28.4s, v28.4s
	WORD	$0x7e30db9c // faddp s28, v28.2s
	WORD	$0x6e3dd7bd // faddp v29.4s, v29.4s, v29.4s
	WORD	$0x7e30dbbd // faddp s29, v29.2s
	FMOVS	F28, s+24(FP)
	FMOVS	F29, s2+28(FP)
	RET

// func normAffineNEON(dst, x, gamma, beta *float32, n int, mean, rstd float32)
// dst[i] = (x[i]-mean)*rstd*gamma[i] + beta[i] for n a multiple of 4.
TEXT ·normAffineNEON(SB), NOSPLIT, $0-48
	MOVD	dst+0(FP), R0
	MOVD	x+8(FP), R1
	MOVD	gamma+16(FP), R2
	MOVD	beta+24(FP), R3
	MOVD	n+32(FP), R4
	FMOVS	mean+40(FP), F31
	VDUP	V31.S[0], V31.S4
	FMOVS	rstd+44(FP), F30
	VDUP	V30.S[0], V30.S4
	LSR	$2, R4
	CBZ	R4, affine_done

affine_loop:
	VLD1.P	16(R1), [V0.S4]
	VLD1.P	16(R2), [V1.S4]
	VLD1.P	16(R3), [V2.S4]
	WORD	$0x4ebfd400 // fsub v0.4s, v0.4s, v31.4s
	WORD	$0x6e3edc00 // fmul v0.4s, v0.4s, v30.4s
	WORD	$0x4e21cc02 // fmla v2.4s, v0.4s, v1.4s
	VST1.P	[V2.S4], 16(R0)
	SUBS	$1, R4, R4
	BNE	affine_loop

affine_done:
	RET

// func expNEON(dst, src *float32, n int)
// dst[i] = exp(src[i]) for n a multiple of 4: x clamped to [-87.34, 89] (NaN
// kept), Cody-Waite reduction, Cephes' polynomial, 2^(n-1) from the 1.5*2^23
// shifter doubled at the end (so e^88.7 stays finite and e^89 is +Inf).
// Vector float instructions WORD-encoded (llvm-mc).
TEXT ·expNEON(SB), NOSPLIT, $0-24
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	$·expNEONConsts(SB), R3
	VLD1.P	16(R3), [V12.S4]
	VLD1.P	64(R3), [V15.S4, V16.S4, V17.S4, V18.S4]
	VLD1	(R3), [V19.S4, V20.S4, V21.S4]
	LSR	$2, R2
	CBZ	R2, expNEON_done

expNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4e33f401 // fmax v1.4s, v0.4s, v19.4s
	WORD	$0x4eb5f421 // fmin v1.4s, v1.4s, v21.4s
	WORD	$0x4eb01e08 // mov v8.16b, v16.16b
	WORD	$0x4e2fcc28 // fmla v8.4s, v1.4s, v15.4s
	WORD	$0x4eb0d509 // fsub v9.4s, v8.4s, v16.4s
	WORD	$0x4f915121 // fmls v1.4s, v9.4s, v17.s[0]
	WORD	$0x4fb15121 // fmls v1.4s, v9.4s, v17.s[1]
	WORD	$0x4e040643 // dup v3.4s, v18.s[0]
	WORD	$0x4e0c0644 // dup v4.4s, v18.s[1]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x4e140643 // dup v3.4s, v18.s[2]
	WORD	$0x4e21cc83 // fmla v3.4s, v4.4s, v1.4s
	WORD	$0x4e1c0644 // dup v4.4s, v18.s[3]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x4e140623 // dup v3.4s, v17.s[2]
	WORD	$0x4e21cc83 // fmla v3.4s, v4.4s, v1.4s
	WORD	$0x4e1c0624 // dup v4.4s, v17.s[3]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x6e21dc27 // fmul v7.4s, v1.4s, v1.4s
	WORD	$0x4e27cc81 // fmla v1.4s, v4.4s, v7.4s
	WORD	$0x4e2cd421 // fadd v1.4s, v1.4s, v12.4s
	WORD	$0x4eb48508 // add v8.4s, v8.4s, v20.4s
	WORD	$0x4f375508 // shl v8.4s, v8.4s, #23
	WORD	$0x6e28dc21 // fmul v1.4s, v1.4s, v8.4s
	WORD	$0x4e21d421 // fadd v1.4s, v1.4s, v1.4s
	VST1.P	[V1.S4], 16(R0)
	SUBS	$1, R2, R2
	BNE	expNEON_loop

expNEON_done:
	RET

DATA	·expNEONConsts+0(SB)/4, $0x3f800000 // 1
DATA	·expNEONConsts+4(SB)/4, $0x3f800000 // 1
DATA	·expNEONConsts+8(SB)/4, $0x3f800000 // 1
DATA	·expNEONConsts+12(SB)/4, $0x3f800000 // 1
DATA	·expNEONConsts+16(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expNEONConsts+20(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expNEONConsts+24(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expNEONConsts+28(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·expNEONConsts+32(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expNEONConsts+36(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expNEONConsts+40(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expNEONConsts+44(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·expNEONConsts+48(SB)/4, $0x3f318000 // 0.693359
DATA	·expNEONConsts+52(SB)/4, $0xb95e8083 // -0.000212194
DATA	·expNEONConsts+56(SB)/4, $0x3e2aaaaa // 0.166667
DATA	·expNEONConsts+60(SB)/4, $0x3f000000 // 0.5
DATA	·expNEONConsts+64(SB)/4, $0x39506967 // 0.000198757
DATA	·expNEONConsts+68(SB)/4, $0x3ab743ce // 0.0013982
DATA	·expNEONConsts+72(SB)/4, $0x3c088908 // 0.00833345
DATA	·expNEONConsts+76(SB)/4, $0x3d2aa9c1 // 0.0416658
DATA	·expNEONConsts+80(SB)/4, $0xc2aeac50 // -87.3365
DATA	·expNEONConsts+84(SB)/4, $0xc2aeac50 // -87.3365
DATA	·expNEONConsts+88(SB)/4, $0xc2aeac50 // -87.3365
DATA	·expNEONConsts+92(SB)/4, $0xc2aeac50 // -87.3365
DATA	·expNEONConsts+96(SB)/4, $126
DATA	·expNEONConsts+100(SB)/4, $126
DATA	·expNEONConsts+104(SB)/4, $126
DATA	·expNEONConsts+108(SB)/4, $126
DATA	·expNEONConsts+112(SB)/4, $0x42b20000 // 89
DATA	·expNEONConsts+116(SB)/4, $0x42b20000 // 89
DATA	·expNEONConsts+120(SB)/4, $0x42b20000 // 89
DATA	·expNEONConsts+124(SB)/4, $0x42b20000 // 89
GLOBL	·expNEONConsts(SB), RODATA|NOPTR, $128

// func geluTanhNEON(dst, src *float32, n int)
// GELU, tanh form, as x/(1+exp(-2u)), u = sqrt(2/pi)*(x+0.044715x^3), on x
// clamped below at -20 (so gelu(-Inf) = -0) and exp's argument clamped at 88;
// the reciprocal by FRECPE and two FRECPS steps. WORD-encoded (llvm-mc).
TEXT ·geluTanhNEON(SB), NOSPLIT, $0-24
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	$·geluTanhNEONConsts(SB), R3
	VLD1.P	16(R3), [V12.S4]
	VLD1.P	64(R3), [V15.S4, V16.S4, V17.S4, V18.S4]
	VLD1.P	64(R3), [V19.S4, V20.S4, V21.S4, V22.S4]
	VLD1	(R3), [V23.S4, V24.S4]
	LSR	$2, R2
	CBZ	R2, geluTanhNEON_done

geluTanhNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4e36f40a // fmax v10.4s, v0.4s, v22.4s
	WORD	$0x6e2add42 // fmul v2.4s, v10.4s, v10.4s
	WORD	$0x4eb71ee1 // mov v1.16b, v23.16b
	WORD	$0x4e38cc41 // fmla v1.4s, v2.4s, v24.4s
	WORD	$0x6e2adc21 // fmul v1.4s, v1.4s, v10.4s
	WORD	$0x4e33f421 // fmax v1.4s, v1.4s, v19.4s
	WORD	$0x4eb5f421 // fmin v1.4s, v1.4s, v21.4s
	WORD	$0x4eb01e08 // mov v8.16b, v16.16b
	WORD	$0x4e2fcc28 // fmla v8.4s, v1.4s, v15.4s
	WORD	$0x4eb0d509 // fsub v9.4s, v8.4s, v16.4s
	WORD	$0x4f915121 // fmls v1.4s, v9.4s, v17.s[0]
	WORD	$0x4fb15121 // fmls v1.4s, v9.4s, v17.s[1]
	WORD	$0x4e040643 // dup v3.4s, v18.s[0]
	WORD	$0x4e0c0644 // dup v4.4s, v18.s[1]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x4e140643 // dup v3.4s, v18.s[2]
	WORD	$0x4e21cc83 // fmla v3.4s, v4.4s, v1.4s
	WORD	$0x4e1c0644 // dup v4.4s, v18.s[3]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x4e140623 // dup v3.4s, v17.s[2]
	WORD	$0x4e21cc83 // fmla v3.4s, v4.4s, v1.4s
	WORD	$0x4e1c0624 // dup v4.4s, v17.s[3]
	WORD	$0x4e21cc64 // fmla v4.4s, v3.4s, v1.4s
	WORD	$0x6e21dc27 // fmul v7.4s, v1.4s, v1.4s
	WORD	$0x4e27cc81 // fmla v1.4s, v4.4s, v7.4s
	WORD	$0x4e2cd421 // fadd v1.4s, v1.4s, v12.4s
	WORD	$0x4eb48508 // add v8.4s, v8.4s, v20.4s
	WORD	$0x4f375508 // shl v8.4s, v8.4s, #23
	WORD	$0x6e28dc21 // fmul v1.4s, v1.4s, v8.4s
	WORD	$0x4e2cd421 // fadd v1.4s, v1.4s, v12.4s
	WORD	$0x4ea1d827 // frecpe v7.4s, v1.4s
	WORD	$0x4e27fc28 // frecps v8.4s, v1.4s, v7.4s
	WORD	$0x6e28dce7 // fmul v7.4s, v7.4s, v8.4s
	WORD	$0x4e27fc28 // frecps v8.4s, v1.4s, v7.4s
	WORD	$0x6e28dce7 // fmul v7.4s, v7.4s, v8.4s
	WORD	$0x6e27dd41 // fmul v1.4s, v10.4s, v7.4s
	VST1.P	[V1.S4], 16(R0)
	SUBS	$1, R2, R2
	BNE	geluTanhNEON_loop

geluTanhNEON_done:
	RET

DATA	·geluTanhNEONConsts+0(SB)/4, $0x3f800000 // 1
DATA	·geluTanhNEONConsts+4(SB)/4, $0x3f800000 // 1
DATA	·geluTanhNEONConsts+8(SB)/4, $0x3f800000 // 1
DATA	·geluTanhNEONConsts+12(SB)/4, $0x3f800000 // 1
DATA	·geluTanhNEONConsts+16(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluTanhNEONConsts+20(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluTanhNEONConsts+24(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluTanhNEONConsts+28(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·geluTanhNEONConsts+32(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluTanhNEONConsts+36(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluTanhNEONConsts+40(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluTanhNEONConsts+44(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·geluTanhNEONConsts+48(SB)/4, $0x3f318000 // 0.693359
DATA	·geluTanhNEONConsts+52(SB)/4, $0xb95e8083 // -0.000212194
DATA	·geluTanhNEONConsts+56(SB)/4, $0x3e2aaaaa // 0.166667
DATA	·geluTanhNEONConsts+60(SB)/4, $0x3f000000 // 0.5
DATA	·geluTanhNEONConsts+64(SB)/4, $0x39506967 // 0.000198757
DATA	·geluTanhNEONConsts+68(SB)/4, $0x3ab743ce // 0.0013982
DATA	·geluTanhNEONConsts+72(SB)/4, $0x3c088908 // 0.00833345
DATA	·geluTanhNEONConsts+76(SB)/4, $0x3d2aa9c1 // 0.0416658
DATA	·geluTanhNEONConsts+80(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluTanhNEONConsts+84(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluTanhNEONConsts+88(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluTanhNEONConsts+92(SB)/4, $0xc2aeac50 // -87.3365
DATA	·geluTanhNEONConsts+96(SB)/4, $127
DATA	·geluTanhNEONConsts+100(SB)/4, $127
DATA	·geluTanhNEONConsts+104(SB)/4, $127
DATA	·geluTanhNEONConsts+108(SB)/4, $127
DATA	·geluTanhNEONConsts+112(SB)/4, $0x42b00000 // 88
DATA	·geluTanhNEONConsts+116(SB)/4, $0x42b00000 // 88
DATA	·geluTanhNEONConsts+120(SB)/4, $0x42b00000 // 88
DATA	·geluTanhNEONConsts+124(SB)/4, $0x42b00000 // 88
DATA	·geluTanhNEONConsts+128(SB)/4, $0xc1a00000 // -20
DATA	·geluTanhNEONConsts+132(SB)/4, $0xc1a00000 // -20
DATA	·geluTanhNEONConsts+136(SB)/4, $0xc1a00000 // -20
DATA	·geluTanhNEONConsts+140(SB)/4, $0xc1a00000 // -20
DATA	·geluTanhNEONConsts+144(SB)/4, $0xbfcc422a // -1.59577
DATA	·geluTanhNEONConsts+148(SB)/4, $0xbfcc422a // -1.59577
DATA	·geluTanhNEONConsts+152(SB)/4, $0xbfcc422a // -1.59577
DATA	·geluTanhNEONConsts+156(SB)/4, $0xbfcc422a // -1.59577
DATA	·geluTanhNEONConsts+160(SB)/4, $0xbd922279 // -0.0713548
DATA	·geluTanhNEONConsts+164(SB)/4, $0xbd922279 // -0.0713548
DATA	·geluTanhNEONConsts+168(SB)/4, $0xbd922279 // -0.0713548
DATA	·geluTanhNEONConsts+172(SB)/4, $0xbd922279 // -0.0713548
GLOBL	·geluTanhNEONConsts(SB), RODATA|NOPTR, $176

// func tanhNEON(dst, src *float32, n int)
// tanh for n a multiple of 4: the odd/even rational x*P(x^2)/Q(x^2) of the
// x86 kernels on x clamped to +-7.905 (NaN kept), x itself below |x| < 0.0004.
// Vector float instructions WORD-encoded (llvm-mc).
TEXT ·tanhNEON(SB), NOSPLIT, $0-24
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	$·tanhNEONConsts(SB), R3
	VLD1.P	64(R3), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P	64(R3), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P	64(R3), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1	(R3), [V28.S4, V29.S4]
	LSR	$2, R2
	CBZ	R2, tanh_done

tanh_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4eb0f401 // fmin v1.4s, v0.4s, v16.4s
	WORD	$0x4e31f421 // fmax v1.4s, v1.4s, v17.4s
	WORD	$0x6e21dc22 // fmul v2.4s, v1.4s, v1.4s
	WORD	$0x4eb91f23 // mov v3.16b, v25.16b
	WORD	$0x4eb81f04 // mov v4.16b, v24.16b
	WORD	$0x4e22cc64 // fmla v4.4s, v3.4s, v2.4s
	WORD	$0x4eb71ee3 // mov v3.16b, v23.16b
	WORD	$0x4e22cc83 // fmla v3.4s, v4.4s, v2.4s
	WORD	$0x4eb61ec4 // mov v4.16b, v22.16b
	WORD	$0x4e22cc64 // fmla v4.4s, v3.4s, v2.4s
	WORD	$0x4eb51ea3 // mov v3.16b, v21.16b
	WORD	$0x4e22cc83 // fmla v3.4s, v4.4s, v2.4s
	WORD	$0x4eb41e84 // mov v4.16b, v20.16b
	WORD	$0x4e22cc64 // fmla v4.4s, v3.4s, v2.4s
	WORD	$0x4eb31e63 // mov v3.16b, v19.16b
	WORD	$0x4e22cc83 // fmla v3.4s, v4.4s, v2.4s
	WORD	$0x6e21dc63 // fmul v3.4s, v3.4s, v1.4s
	WORD	$0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD	$0x4ebc1f85 // mov v5.16b, v28.16b
	WORD	$0x4e22cc85 // fmla v5.4s, v4.4s, v2.4s
	WORD	$0x4ebb1f64 // mov v4.16b, v27.16b
	WORD	$0x4e22cca4 // fmla v4.4s, v5.4s, v2.4s
	WORD	$0x4eba1f45 // mov v5.16b, v26.16b
	WORD	$0x4e22cc85 // fmla v5.4s, v4.4s, v2.4s
	WORD	$0x6e25fc63 // fdiv v3.4s, v3.4s, v5.4s
	WORD	$0x4ea0f805 // fabs v5.4s, v0.4s
	WORD	$0x6ea5e646 // fcmgt v6.4s, v18.4s, v5.4s
	WORD	$0x6e631c06 // bsl v6.16b, v0.16b, v3.16b
	VST1.P	[V6.S4], 16(R0)
	SUBS	$1, R2, R2
	BNE	tanh_loop

tanh_done:
	RET

DATA	·tanhNEONConsts+0(SB)/4, $0x40fcf84f // 7.90531
DATA	·tanhNEONConsts+4(SB)/4, $0x40fcf84f // 7.90531
DATA	·tanhNEONConsts+8(SB)/4, $0x40fcf84f // 7.90531
DATA	·tanhNEONConsts+12(SB)/4, $0x40fcf84f // 7.90531
DATA	·tanhNEONConsts+16(SB)/4, $0xc0fcf84f // -7.90531
DATA	·tanhNEONConsts+20(SB)/4, $0xc0fcf84f // -7.90531
DATA	·tanhNEONConsts+24(SB)/4, $0xc0fcf84f // -7.90531
DATA	·tanhNEONConsts+28(SB)/4, $0xc0fcf84f // -7.90531
DATA	·tanhNEONConsts+32(SB)/4, $0x39d1b717 // 0.0004
DATA	·tanhNEONConsts+36(SB)/4, $0x39d1b717 // 0.0004
DATA	·tanhNEONConsts+40(SB)/4, $0x39d1b717 // 0.0004
DATA	·tanhNEONConsts+44(SB)/4, $0x39d1b717 // 0.0004
DATA	·tanhNEONConsts+48(SB)/4, $0x3ba059dc // 0.00489352
DATA	·tanhNEONConsts+52(SB)/4, $0x3ba059dc // 0.00489352
DATA	·tanhNEONConsts+56(SB)/4, $0x3ba059dc // 0.00489352
DATA	·tanhNEONConsts+60(SB)/4, $0x3ba059dc // 0.00489352
DATA	·tanhNEONConsts+64(SB)/4, $0x3a270ded // 0.000637262
DATA	·tanhNEONConsts+68(SB)/4, $0x3a270ded // 0.000637262
DATA	·tanhNEONConsts+72(SB)/4, $0x3a270ded // 0.000637262
DATA	·tanhNEONConsts+76(SB)/4, $0x3a270ded // 0.000637262
DATA	·tanhNEONConsts+80(SB)/4, $0x3779434a // 1.48572e-05
DATA	·tanhNEONConsts+84(SB)/4, $0x3779434a // 1.48572e-05
DATA	·tanhNEONConsts+88(SB)/4, $0x3779434a // 1.48572e-05
DATA	·tanhNEONConsts+92(SB)/4, $0x3779434a // 1.48572e-05
DATA	·tanhNEONConsts+96(SB)/4, $0x335c0041 // 5.1223e-08
DATA	·tanhNEONConsts+100(SB)/4, $0x335c0041 // 5.1223e-08
DATA	·tanhNEONConsts+104(SB)/4, $0x335c0041 // 5.1223e-08
DATA	·tanhNEONConsts+108(SB)/4, $0x335c0041 // 5.1223e-08
DATA	·tanhNEONConsts+112(SB)/4, $0xaebd37ff // -8.60467e-11
DATA	·tanhNEONConsts+116(SB)/4, $0xaebd37ff // -8.60467e-11
DATA	·tanhNEONConsts+120(SB)/4, $0xaebd37ff // -8.60467e-11
DATA	·tanhNEONConsts+124(SB)/4, $0xaebd37ff // -8.60467e-11
DATA	·tanhNEONConsts+128(SB)/4, $0x2a61337e // 2.00019e-13
DATA	·tanhNEONConsts+132(SB)/4, $0x2a61337e // 2.00019e-13
DATA	·tanhNEONConsts+136(SB)/4, $0x2a61337e // 2.00019e-13
DATA	·tanhNEONConsts+140(SB)/4, $0x2a61337e // 2.00019e-13
DATA	·tanhNEONConsts+144(SB)/4, $0xa59f25c0 // -2.76077e-16
DATA	·tanhNEONConsts+148(SB)/4, $0xa59f25c0 // -2.76077e-16
DATA	·tanhNEONConsts+152(SB)/4, $0xa59f25c0 // -2.76077e-16
DATA	·tanhNEONConsts+156(SB)/4, $0xa59f25c0 // -2.76077e-16
DATA	·tanhNEONConsts+160(SB)/4, $0x3ba059dd // 0.00489353
DATA	·tanhNEONConsts+164(SB)/4, $0x3ba059dd // 0.00489353
DATA	·tanhNEONConsts+168(SB)/4, $0x3ba059dd // 0.00489353
DATA	·tanhNEONConsts+172(SB)/4, $0x3ba059dd // 0.00489353
DATA	·tanhNEONConsts+176(SB)/4, $0x3b14aa05 // 0.00226843
DATA	·tanhNEONConsts+180(SB)/4, $0x3b14aa05 // 0.00226843
DATA	·tanhNEONConsts+184(SB)/4, $0x3b14aa05 // 0.00226843
DATA	·tanhNEONConsts+188(SB)/4, $0x3b14aa05 // 0.00226843
DATA	·tanhNEONConsts+192(SB)/4, $0x38f895d6 // 0.000118535
DATA	·tanhNEONConsts+196(SB)/4, $0x38f895d6 // 0.000118535
DATA	·tanhNEONConsts+200(SB)/4, $0x38f895d6 // 0.000118535
DATA	·tanhNEONConsts+204(SB)/4, $0x38f895d6 // 0.000118535
DATA	·tanhNEONConsts+208(SB)/4, $0x35a0d3d8 // 1.19826e-06
DATA	·tanhNEONConsts+212(SB)/4, $0x35a0d3d8 // 1.19826e-06
DATA	·tanhNEONConsts+216(SB)/4, $0x35a0d3d8 // 1.19826e-06
DATA	·tanhNEONConsts+220(SB)/4, $0x35a0d3d8 // 1.19826e-06
GLOBL	·tanhNEONConsts(SB), RODATA|NOPTR, $224

// func erfNEON(dst, src *float32, n int)
// erf, four lanes at a time for n a multiple of 4, with the algorithm of the
// AVX2/AVX-512 kernels: for |x| < 1 the rational x*P(x^2)/Q(x^2) (Eigen's
// coefficients, x clamped to +-4); above, sign(x)*(1 - erfc(|x|)) with
// erfc(z) = t*exp(-z^2 + P(t)), t = 1/(1+z/2) (FRECPE and two FRECPS steps,
// Numerical Recipes' P) and exp as in geluNEON (clamped at -87.3, so
// erf(+-Inf) = +-1). NaN stays NaN. Constants live in V10-V31
// (erfNEONConsts). Vector float instructions WORD-encoded (llvm-mc) with the
// instruction beside each.
TEXT ·erfNEON(SB), NOSPLIT, $0-24
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	n+16(FP), R2
	MOVD	$·erfNEONConsts(SB), R3
	VLD1.P	64(R3), [V10.S4, V11.S4, V12.S4, V13.S4]
	VLD1.P	64(R3), [V14.S4, V15.S4, V16.S4, V17.S4]
	VLD1.P	64(R3), [V18.S4, V19.S4, V20.S4, V21.S4]
	VLD1.P	64(R3), [V22.S4, V23.S4, V24.S4, V25.S4]
	VLD1.P	64(R3), [V26.S4, V27.S4, V28.S4, V29.S4]
	VLD1	(R3), [V30.S4, V31.S4]
	LSR	$2, R2
	CBZ	R2, erf_done

erf_loop:
	VLD1.P	16(R1), [V0.S4]
	WORD	$0x4ea0f802 // fabs v2.4s, v0.4s
	WORD	$0x4eac1d84 // mov v4.16b, v12.16b
	WORD	$0x4e2bcc44 // fmla v4.4s, v2.4s, v11.4s
	ERFC_POLY
	WORD	$0x4ea2cc46 // fmls v6.4s, v2.4s, v2.4s
	ERFC_EXP
	WORD	$0x4ea6d587 // fsub v7.4s, v12.4s, v6.4s
	WORD	$0x6ea0f8e6 // fneg v6.4s, v7.4s
	WORD	$0x4ea0e801 // fcmlt v1.4s, v0.4s, #0.0
	WORD	$0x6e671cc1 // bsl v1.16b, v6.16b, v7.16b
	WORD	$0x4ebff402 // fmin v2.4s, v0.4s, v31.4s
	WORD	$0x6ea0fbe3 // fneg v3.4s, v31.4s
	WORD	$0x4e23f442 // fmax v2.4s, v2.4s, v3.4s
	WORD	$0x6e22dc43 // fmul v3.4s, v2.4s, v2.4s
	WORD	$0x4e040544 // dup v4.4s, v10.s[0]
	WORD	$0x4e0c0545 // dup v5.4s, v10.s[1]
	WORD	$0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD	$0x4e140544 // dup v4.4s, v10.s[2]
	WORD	$0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD	$0x4e1c0545 // dup v5.4s, v10.s[3]
	WORD	$0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD	$0x4e0405a4 // dup v4.4s, v13.s[0]
	WORD	$0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD	$0x4e0c05a5 // dup v5.4s, v13.s[1]
	WORD	$0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD	$0x4e1405a4 // dup v4.4s, v13.s[2]
	WORD	$0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD	$0x6e22dc84 // fmul v4.4s, v4.4s, v2.4s
	WORD	$0x4e1c05a5 // dup v5.4s, v13.s[3]
	WORD	$0x4e0405c6 // dup v6.4s, v14.s[0]
	WORD	$0x4e23cca6 // fmla v6.4s, v5.4s, v3.4s
	WORD	$0x4e0c05c5 // dup v5.4s, v14.s[1]
	WORD	$0x4e23ccc5 // fmla v5.4s, v6.4s, v3.4s
	WORD	$0x4e1405c6 // dup v6.4s, v14.s[2]
	WORD	$0x4e23cca6 // fmla v6.4s, v5.4s, v3.4s
	WORD	$0x4e1c05c5 // dup v5.4s, v14.s[3]
	WORD	$0x4e23ccc5 // fmla v5.4s, v6.4s, v3.4s
	WORD	$0x6e25fc84 // fdiv v4.4s, v4.4s, v5.4s
	WORD	$0x4ea0f802 // fabs v2.4s, v0.4s
	WORD	$0x6e2ce443 // fcmge v3.4s, v2.4s, v12.4s
	WORD	$0x6e641c23 // bsl v3.16b, v1.16b, v4.16b
	VST1.P	[V3.S4], 16(R0)
	SUBS	$1, R2, R2
	BNE	erf_loop

erf_done:
	RET

DATA	·erfNEONConsts+0(SB)/4, $0xaf95df0b // a13 -2.72614e-10
DATA	·erfNEONConsts+4(SB)/4, $0x32edffee // a11 2.77068e-08
DATA	·erfNEONConsts+8(SB)/4, $0xb60cff51 // a9 -2.10102e-06
DATA	·erfNEONConsts+12(SB)/4, $0xb86ec2d2 // a7 -5.69251e-05
DATA	·erfNEONConsts+16(SB)/4, $0x3f000000 // 0.5
DATA	·erfNEONConsts+20(SB)/4, $0x3f000000 // 0.5
DATA	·erfNEONConsts+24(SB)/4, $0x3f000000 // 0.5
DATA	·erfNEONConsts+28(SB)/4, $0x3f000000 // 0.5
DATA	·erfNEONConsts+32(SB)/4, $0x3f800000 // 1
DATA	·erfNEONConsts+36(SB)/4, $0x3f800000 // 1
DATA	·erfNEONConsts+40(SB)/4, $0x3f800000 // 1
DATA	·erfNEONConsts+44(SB)/4, $0x3f800000 // 1
DATA	·erfNEONConsts+48(SB)/4, $0xba40ac63 // a5 -0.000734991
DATA	·erfNEONConsts+52(SB)/4, $0xbb41a1f6 // a3 -0.0029546
DATA	·erfNEONConsts+56(SB)/4, $0xbc83dbd4 // a1 -0.016096
DATA	·erfNEONConsts+60(SB)/4, $0xb77460cd // b8 -1.45661e-05
DATA	·erfNEONConsts+64(SB)/4, $0xb95fbd29 // b6 -0.000213374
DATA	·erfNEONConsts+68(SB)/4, $0xbadc924e // b4 -0.00168283
DATA	·erfNEONConsts+72(SB)/4, $0xbbf19bf8 // b2 -0.00737333
DATA	·erfNEONConsts+76(SB)/4, $0xbc69b6a7 // b0 -0.0142647
DATA	·erfNEONConsts+80(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·erfNEONConsts+84(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·erfNEONConsts+88(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·erfNEONConsts+92(SB)/4, $0x3fb8aa3b // 1.4427
DATA	·erfNEONConsts+96(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·erfNEONConsts+100(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·erfNEONConsts+104(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·erfNEONConsts+108(SB)/4, $0x4b400000 // 1.25829e+07
DATA	·erfNEONConsts+112(SB)/4, $0x3f318000 // 0.693359
DATA	·erfNEONConsts+116(SB)/4, $0xb95e8083 // -0.000212194
DATA	·erfNEONConsts+120(SB)/4, $0x3e2aaaaa // 0.166667
DATA	·erfNEONConsts+124(SB)/4, $0x3f000000 // 0.5
DATA	·erfNEONConsts+128(SB)/4, $0x39506967 // 0.000198757
DATA	·erfNEONConsts+132(SB)/4, $0x3ab743ce // 0.0013982
DATA	·erfNEONConsts+136(SB)/4, $0x3c088908 // 0.00833345
DATA	·erfNEONConsts+140(SB)/4, $0x3d2aa9c1 // 0.0416658
DATA	·erfNEONConsts+144(SB)/4, $0xc2aeac50 // -87.3365
DATA	·erfNEONConsts+148(SB)/4, $0xc2aeac50 // -87.3365
DATA	·erfNEONConsts+152(SB)/4, $0xc2aeac50 // -87.3365
DATA	·erfNEONConsts+156(SB)/4, $0xc2aeac50 // -87.3365
DATA	·erfNEONConsts+160(SB)/4, $127 // 127
DATA	·erfNEONConsts+164(SB)/4, $127 // 127
DATA	·erfNEONConsts+168(SB)/4, $127 // 127
DATA	·erfNEONConsts+172(SB)/4, $127 // 127
DATA	·erfNEONConsts+176(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·erfNEONConsts+180(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·erfNEONConsts+184(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·erfNEONConsts+188(SB)/4, $0xbfa1fc4e // -1.26551
DATA	·erfNEONConsts+192(SB)/4, $0x3f8000c7 // 1.00002
DATA	·erfNEONConsts+196(SB)/4, $0x3f8000c7 // 1.00002
DATA	·erfNEONConsts+200(SB)/4, $0x3f8000c7 // 1.00002
DATA	·erfNEONConsts+204(SB)/4, $0x3f8000c7 // 1.00002
DATA	·erfNEONConsts+208(SB)/4, $0x3ebf88fb // 0.374092
DATA	·erfNEONConsts+212(SB)/4, $0x3ebf88fb // 0.374092
DATA	·erfNEONConsts+216(SB)/4, $0x3ebf88fb // 0.374092
DATA	·erfNEONConsts+220(SB)/4, $0x3ebf88fb // 0.374092
DATA	·erfNEONConsts+224(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·erfNEONConsts+228(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·erfNEONConsts+232(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·erfNEONConsts+236(SB)/4, $0x3dc636c9 // 0.0967842
DATA	·erfNEONConsts+240(SB)/4, $0xbe3ec24c // -0.186288
DATA	·erfNEONConsts+244(SB)/4, $0xbe3ec24c // -0.186288
DATA	·erfNEONConsts+248(SB)/4, $0xbe3ec24c // -0.186288
DATA	·erfNEONConsts+252(SB)/4, $0xbe3ec24c // -0.186288
DATA	·erfNEONConsts+256(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·erfNEONConsts+260(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·erfNEONConsts+264(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·erfNEONConsts+268(SB)/4, $0x3e8ec7cc // 0.278868
DATA	·erfNEONConsts+272(SB)/4, $0xbf914e5d // -1.1352
DATA	·erfNEONConsts+276(SB)/4, $0xbf914e5d // -1.1352
DATA	·erfNEONConsts+280(SB)/4, $0xbf914e5d // -1.1352
DATA	·erfNEONConsts+284(SB)/4, $0xbf914e5d // -1.1352
DATA	·erfNEONConsts+288(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·erfNEONConsts+292(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·erfNEONConsts+296(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·erfNEONConsts+300(SB)/4, $0x3fbe87b0 // 1.48852
DATA	·erfNEONConsts+304(SB)/4, $0xbf527892 // -0.822152
DATA	·erfNEONConsts+308(SB)/4, $0xbf527892 // -0.822152
DATA	·erfNEONConsts+312(SB)/4, $0xbf527892 // -0.822152
DATA	·erfNEONConsts+316(SB)/4, $0xbf527892 // -0.822152
DATA	·erfNEONConsts+320(SB)/4, $0x3e2ef945 // 0.170873
DATA	·erfNEONConsts+324(SB)/4, $0x3e2ef945 // 0.170873
DATA	·erfNEONConsts+328(SB)/4, $0x3e2ef945 // 0.170873
DATA	·erfNEONConsts+332(SB)/4, $0x3e2ef945 // 0.170873
DATA	·erfNEONConsts+336(SB)/4, $0x40800000 // 4
DATA	·erfNEONConsts+340(SB)/4, $0x40800000 // 4
DATA	·erfNEONConsts+344(SB)/4, $0x40800000 // 4
DATA	·erfNEONConsts+348(SB)/4, $0x40800000 // 4
GLOBL	·erfNEONConsts(SB), RODATA|NOPTR, $352

// func divNEON(dst, a, b *float32, n int), n a multiple of 4.
TEXT ·divNEON(SB), NOSPLIT, $0-32
	MOVD	dst+0(FP), R0
	MOVD	a+8(FP), R1
	MOVD	b+16(FP), R2
	MOVD	n+24(FP), R3
	LSR	$2, R3
	CBZ	R3, divNEON_done
divNEON_loop:
	VLD1.P	16(R1), [V0.S4]
	VLD1.P	16(R2), [V1.S4]
	WORD	$0x6e21fc02 // fdiv v2.4s, v0.4s, v1.4s
	VST1.P	[V2.S4], 16(R0)
	SUB	$1, R3
	CBNZ	R3, divNEON_loop
divNEON_done:
	RET

// func sumNEON(x *float32, n int) float32, n a multiple of 8: two
// accumulators of four lanes, added pairwise at the end.
TEXT ·sumNEON(SB), NOSPLIT, $0-20
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	LSR	$3, R1
	CBZ	R1, sumNEON_done
sumNEON_loop:
	VLD1.P	32(R0), [V2.S4, V3.S4]
	WORD	$0x4e22d400 // fadd v0.4s, v0.4s, v2.4s
	WORD	$0x4e23d421 // fadd v1.4s, v1.4s, v3.4s
	SUB	$1, R1
	CBNZ	R1, sumNEON_loop
sumNEON_done:
	WORD	$0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD	$0x6e20d400 // faddp v0.4s, v0.4s, v0.4s
	WORD	$0x7e30d800 // faddp s0, v0.2s
	FMOVS	F0, ret+16(FP)
	RET

// func maxNEON(x *float32, n int) float32, n a multiple of 8: two
// accumulators from -Inf; FMAX and FMAXV propagate NaN, as maxGeneric does.
TEXT ·maxNEON(SB), NOSPLIT, $0-20
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	MOVW	$0xff800000, R4
	WORD	$0x4e040c80 // dup v0.4s, w4
	WORD	$0x4ea01c01 // mov v1.16b, v0.16b
	LSR	$3, R1
	CBZ	R1, maxNEON_done
maxNEON_loop:
	VLD1.P	32(R0), [V2.S4, V3.S4]
	WORD	$0x4e22f400 // fmax v0.4s, v0.4s, v2.4s
	WORD	$0x4e23f421 // fmax v1.4s, v1.4s, v3.4s
	SUB	$1, R1
	CBNZ	R1, maxNEON_loop
maxNEON_done:
	WORD	$0x4e21f400 // fmax v0.4s, v0.4s, v1.4s
	WORD	$0x6e30f800 // fmaxv s0, v0.4s
	FMOVS	F0, ret+16(FP)
	RET

// func sumSqNEON(x *float32, n int, mean float32) float32, n a multiple of
// 8: sum of (x-mean)^2 in two accumulators of four lanes.
TEXT ·sumSqNEON(SB), NOSPLIT, $0-28
	MOVD	x+0(FP), R0
	MOVD	n+8(FP), R1
	FMOVS	mean+16(FP), F4
	WORD	$0x4e040484 // dup v4.4s, v4.s[0]
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V1.B16, V1.B16, V1.B16
	LSR	$3, R1
	CBZ	R1, sumSqNEON_done
sumSqNEON_loop:
	VLD1.P	32(R0), [V2.S4, V3.S4]
	WORD	$0x4ea4d442 // fsub v2.4s, v2.4s, v4.4s
	WORD	$0x4ea4d463 // fsub v3.4s, v3.4s, v4.4s
	WORD	$0x4e22cc40 // fmla v0.4s, v2.4s, v2.4s
	WORD	$0x4e23cc61 // fmla v1.4s, v3.4s, v3.4s
	SUB	$1, R1
	CBNZ	R1, sumSqNEON_loop
sumSqNEON_done:
	WORD	$0x4e21d400 // fadd v0.4s, v0.4s, v1.4s
	WORD	$0x6e20d400 // faddp v0.4s, v0.4s, v0.4s
	WORD	$0x7e30d800 // faddp s0, v0.2s
	FMOVS	F0, ret+24(FP)
	RET
