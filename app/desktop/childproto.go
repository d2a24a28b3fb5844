package desktop

// The protocol between the app (the parent: tray, REST API, Service) and
// its window process (cmd/milady-cloud-window), described in
// docs/window-process.md. Both sides import these names so they cannot
// drift apart.
//
// The parent starts the child with no arguments and an environment without
// secrets, and gives it one pipe as file descriptor ChildControlFD. On it
// the parent writes one JSON line (ChildHello), then one command per line
// (ChildCmdShow, ChildCmdQuit). End of file on it means the parent is gone
// or quitting: the child quits.

// ChildHello is the first line on the control pipe: everything the window
// process needs to reach the parent. The token travels only here, never on
// the command line or in the environment, where ps and /proc/<pid>/environ
// would show it.
type ChildHello struct {
	// URL is the parent's REST API, e.g. "http://127.0.0.1:2138/".
	URL string `json:"url"`
	// Token is the REST API token ("" when the API has none), sent as
	// "Authorization: Bearer".
	Token string `json:"token"`
	// Title is the window title.
	Title string `json:"title"`
	// Version is the parent's version; the child refuses a parent whose
	// version differs from its own (ChildExitNoWindow).
	Version string `json:"version"`
}

// Commands the parent writes on the control pipe, one per line.
const (
	// ChildCmdShow shows, un-minimises and raises the window.
	ChildCmdShow = "show"
	// ChildCmdQuit closes the window and ends the process with status 0.
	// The parent's Hide sends it too: ending the process gives WebKit's
	// memory back, and the next Show starts a new one.
	ChildCmdQuit = "quit"
)

// ChildControlFD is the control pipe's file descriptor in the child
// (exec.Cmd.ExtraFiles[0]).
const ChildControlFD = 3

// The window process's exit statuses. Any other status is a crash.
const (
	// ChildExitClosed: the window was closed, by the user or by quit.
	ChildExitClosed = 0
	// ChildExitNoWindow: no window could be opened (no display, WebKit
	// missing, a parent of another version); the reason is on stderr.
	ChildExitNoWindow = 3
)

// WindowBinaryEnv names the variable that overrides where the window
// executable is looked for (tests, development builds).
const WindowBinaryEnv = "MILADY_WINDOW_BIN"
