package cpu

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEnvChild is run in a subprocess by TestEnvOverride.
func TestEnvChild(t *testing.T) {
	want := os.Getenv("LLMC_TEST_WANT_PATH")
	if want == "" {
		t.Skip("helper")
	}
	require.Equal(t, want, Path())
}

func TestEnvOverride(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	cases := []struct{ env, want, stderr string }{
		{"generic", PathGeneric, ""},
		{Paths()[0], Paths()[0], ""},
		{"bogus", Paths()[0], "not available"},
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LLMC_CPU="+c.env, "LLMC_TEST_WANT_PATH="+c.want)
		out, err := cmd.CombinedOutput()
		if err != nil && strings.Contains(err.Error(), "exec format error") {
			t.Skip("cannot re-exec the test binary (running under an emulator)")
		}
		require.NoError(t, err, "%s", out)
		if c.stderr != "" {
			require.True(t, strings.Contains(string(out), c.stderr), "%s", out)
		}
	}
}
