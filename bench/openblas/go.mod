module github.com/llmc/llmc/bench/openblas

go 1.26.8

require github.com/llmc/llmc v0.0.0

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/llmc/llmc => ../..
