package app

import (
	"context"
	"errors"

	"github.com/milady-ai/milady-cloud/cloud"
)

// http400 is Bad Request; package app names no net/http (the REST face
// owns status codes), so the one number it reads is spelled here.
const http400 = 400

// Open opens the agent's own web UI in the browser: the cloud gives a
// one-minute pairing token whose redirect URL logs the browser in. That
// URL is a credential, so it is never returned, logged or put in an event.
// Within OpenInterval of the last browser open it does nothing (no token
// is minted) and succeeds. An agent that is not running is the cloud's 400.
func (ag *Agents) Open(ctx context.Context, id string) error {
	s := ag.s
	c, err := s.agentCall(id)
	if err != nil {
		return err
	}
	if s.opts.Opener == nil {
		return errors.New("no browser available to open the agent")
	}
	if !s.shell.opens.allow(s.clk.Now()) {
		s.log.Debug("a browser page opened moments ago; not opening the agent again", "agentId", id)
		return nil
	}
	pt, err := c.PairingToken(ctx, id)
	if err != nil {
		s.observeKey(c, err)
		// "Agent must be running …" is about the request, not a broken
		// cloud: relayed as the cloud's own 400.
		var he *cloud.HTTPError
		if errors.As(err, &he) && he.Status == http400 && he.Message != "" {
			return &Error{Kind: KindInvalidInput, Message: he.Message, Err: err}
		}
		return err
	}
	if err := s.opts.Opener.Open(pt.RedirectURL); err != nil {
		// The opener's error may quote the URL: keep it out of the answer.
		s.log.Warn("open the agent's page in the browser failed", "agentId", id)
		return errors.New("open browser: the agent's page could not be opened")
	}
	s.log.Info("opened the agent's page in the browser", "agentId", id)
	return nil
}
