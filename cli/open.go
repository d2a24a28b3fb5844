package cli

import (
	"context"
	"fmt"

	"github.com/milady-ai/milady-cloud/internal/opener"
)

func init() {
	register(command{name: "open", summary: "open the dashboard in the browser", run: onInstance("open", runOpen)})
}

func runOpen(ctx context.Context, e *Env, c *client) int {
	// Check the instance answers first, so a dead one gets the hint
	// instead of a browser tab with an error page.
	if err := c.call(ctx, "GET", "/api/health", nil, nil); err != nil {
		return fail(e, c, "open", err)
	}
	u := c.base + "/"
	if c.token != "" {
		// The fragment hands the token to the dashboard tab without it
		// reaching any server log (the app does the same for --open).
		u += "#token=" + c.token
	}
	open := e.Open
	if open == nil {
		open = opener.New(e.Stderr).Open
	}
	if err := open(u); err != nil {
		fmt.Fprintf(e.Stderr, "milady-cloud: open: %v; the dashboard is at %s\n", err, c.base+"/")
		return ExitFailure
	}
	fmt.Fprintf(e.Stdout, "Opened the dashboard: %s/\n", c.base)
	return ExitOK
}
