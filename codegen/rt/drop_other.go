//go:build !linux

package rt

const canDropPages = false

func dropPages(b []byte) {}

func fileMapped(b []byte) bool { return false }
