package app

import (
	"context"
)

// Status answers GET /api/cloud/status with Milady's reason semantics: the
// "runtime" is this app's cloud session, started once the first identity
// check has run.
func (s *Service) Status(_ context.Context) StatusView {
	en := s.settings.get().Enabled
	conn := s.conn.state()
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	p := &s.sess
	hasKey := p.apiKey != ""
	v := StatusView{
		Connected:  hasKey,
		HasAPIKey:  hasKey,
		Connection: conn,
	}
	v.Enabled = (en != nil && *en) || (hasKey && (en == nil || *en))
	switch {
	case hasKey && conn.KeyRejected:
		// The cloud refused the saved key: kept until the user logs in
		// again or out, but it connects nothing.
		v.Connected, v.KeyRejected = false, true
		v.Reason = "api_key_present_not_authenticated"
	case !hasKey && !p.started:
		v.Reason = "runtime_not_started"
	case !hasKey:
		v.Reason = "not_authenticated"
	case !p.identityTried:
		v.Reason = "api_key_present_runtime_not_started"
	case !p.identityOK:
		v.Reason = "api_key_present_not_authenticated"
	default:
		uid, oid := p.identity.UserID, p.identity.OrganizationID
		v.UserID, v.OrganizationID = &uid, &oid
	}
	if hasKey {
		v.TopUpURL = s.topUpURL()
	}
	return v
}
