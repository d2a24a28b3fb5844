package opener

// command is open(1), as pkg/browser uses.
func command(url string) (string, []string, error) { return "open", []string{url}, nil }
