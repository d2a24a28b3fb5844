//go:build !darwin && !windows

package desktop

func displayAvailable(env displayEnv) (bool, string) { return checkDisplay(env) }
