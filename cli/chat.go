package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

func init() {
	register(command{name: "chat", args: "[agent] [text…]", summary: "send a message and stream the reply; reads the message from stdin when no text is given", run: runChat})
}

// maxStdinMessage bounds a piped message below the API's 1 MiB body limit.
const maxStdinMessage = 512 << 10

// runChat sends one message. With two or more arguments the first names
// the agent; with one, it names the agent only if an agent has exactly
// that name or id (else it is the text). Naming an agent that is not the
// connected one connects to it first.
func runChat(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "chat").withPort()
	c, code, ok := fs.client(args, 0, -1)
	if !ok {
		return code
	}
	rest := fs.Args()
	var agentKey string
	if len(rest) >= 2 {
		agentKey, rest = rest[0], rest[1:]
	} else if len(rest) == 1 {
		if list, err := c.agents(ctx); err == nil {
			if _, err := findAgent(list, rest[0]); err == nil {
				agentKey, rest = rest[0], nil
			}
		} else if errors.Is(err, errNoInstance) {
			return fail(e, c, "chat", err)
		}
	}
	if agentKey != "" {
		s, err := c.snapshot(ctx)
		if err != nil {
			return fail(e, c, "chat", err)
		}
		if s.Connection.State != "connected" || (s.Connection.AgentID != agentKey && !strings.EqualFold(s.Connection.AgentName, agentKey)) {
			if _, code := connectTo(ctx, e, c, agentKey); code != ExitOK {
				return code
			}
		}
	}
	text := strings.Join(rest, " ")
	if len(rest) == 0 {
		if isTTY(e.Stdin) {
			fmt.Fprintln(e.Stderr, "Type your message, then Ctrl+D:")
		}
		b, err := io.ReadAll(io.LimitReader(e.Stdin, maxStdinMessage+1))
		if err != nil {
			fmt.Fprintf(e.Stderr, "milady-cloud: chat: read stdin: %v\n", err)
			return ExitFailure
		}
		if len(b) > maxStdinMessage {
			fmt.Fprintf(e.Stderr, "milady-cloud: chat: the message on stdin is larger than %d KiB\n", maxStdinMessage>>10)
			return ExitUsage
		}
		text = string(b)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		fmt.Fprintln(e.Stderr, "milady-cloud chat: no message (give it as arguments or on stdin)")
		return ExitUsage
	}
	resp, err := c.request(ctx, "POST", "/api/chat/stream", map[string]any{"text": text})
	if err != nil {
		return fail(e, c, "chat", err)
	}
	defer resp.Body.Close()
	wrote, err := streamReply(resp.Body, e.Stdout)
	if wrote {
		fmt.Fprintln(e.Stdout)
	}
	if err != nil {
		return fail(e, c, "chat", err)
	}
	return ExitOK
}

// streamReply copies the text of `chunk` events to w as they arrive, until
// `done`; an `error` event or a stream that ends early is an error.
func streamReply(r io.Reader, w io.Writer) (wrote bool, _ error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var event string
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		case line == "":
			ev, d := event, data.String()
			event = ""
			data.Reset()
			switch ev {
			case "chunk":
				var c struct {
					Text string `json:"text"`
				}
				if err := json.Unmarshal([]byte(d), &c); err != nil {
					return wrote, fmt.Errorf("read reply chunk: %w", err)
				}
				if c.Text != "" {
					if _, err := io.WriteString(w, c.Text); err != nil {
						return wrote, fmt.Errorf("write reply: %w", err)
					}
					wrote = true
				}
			case "done":
				return wrote, nil
			case "error":
				var c struct {
					Error string `json:"error"`
				}
				_ = json.Unmarshal([]byte(d), &c)
				if c.Error == "" {
					c.Error = d
				}
				return wrote, errors.New(c.Error)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return wrote, fmt.Errorf("read reply: %w", err)
	}
	return wrote, errors.New("the reply stream ended before it was done")
}
