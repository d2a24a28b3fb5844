package opener

// command hands the URL to the shell's protocol handler. pkg/browser calls
// ShellExecute in-process, which gives the browser this process's
// environment; a child process lets the environment be filtered.
func command(url string) (string, []string, error) {
	return "rundll32", []string{"url.dll,FileProtocolHandler", url}, nil
}
