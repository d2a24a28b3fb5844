package app

import (
	"context"
	"time"
)

// completeLogin makes a key that just arrived the app's credential: (1) it
// is saved to milady.json, (2) put in the environment Milady's runtime
// reads, (3) saved to the local agent record, so the login survives a
// reset of the config file, and (4) handed to the connection manager.
// Failures of the config or the database are logged and returned as a
// warning; the login still succeeds.
func (s *Service) completeLogin(ctx context.Context, key string) string {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	var warns []string
	if err := s.cfg.SetCloudLogin(key); err != nil { // (1)
		s.log.Error("save API key to config failed", "err", err)
		warns = append(warns, "The key could not be saved to "+s.cfg.Path()+": "+err.Error())
	} else {
		s.settings.reload(s.cfg)
	}
	s.adoptKey(key) // (2) environment and (4) manager
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.db.SetSecret(dctx, secretAPIKey, key); err != nil { // (3)
		s.log.Error("save API key to local agent record failed", "err", err)
		warns = append(warns, "The key could not be saved to the local database: "+err.Error())
	}
	_ = s.db.SetSecret(dctx, secretEnabled, "true")
	_ = s.db.SetFlag(dctx, flagLoggedOut, "0")
	s.log.Info("logged in to Eliza Cloud", "keyPrefix", prefixOf(key))
	if len(warns) > 0 {
		return warns[0]
	}
	return ""
}

// afterLogin fetches identity and balance, then announces "Logged in".
func (s *Service) afterLogin(ls *loginSession, warn string) {
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	s.checkIdentity(ctx)
	s.refreshCredits(ctx)
	s.resolveLastAgentName(ctx)
	s.login.end(ls, LoginView{Status: "authenticated", SessionID: ls.id, KeyPrefix: ls.keyPrefix, Error: warn})
	s.publish(EventLogin, LoginEvent{Status: "authenticated", KeyPrefix: ls.keyPrefix, Error: warn})
	s.publishSettings()
	s.notice(Notice{Kind: "info", Level: "info", Message: "Logged in to Eliza Cloud."})
}

// Logout is the REST POST /api/cloud/disconnect: final snapshot, then the
// key leaves the config, the environment and the local record. Idempotent;
// it never fails because saving failed. An API key cannot revoke itself at
// the cloud, so the answer says the key stays valid and links the cloud's
// page where the user can revoke it.
func (s *Service) Logout(ctx context.Context) (LogoutResponse, error) {
	s.CancelLogin()
	s.opMu.Lock()
	defer s.opMu.Unlock()
	defer s.conn.beginUserAction()()
	if err := s.mgr.Logout(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("disconnect during log-out", "err", err)
	}
	if s.settings.configErr == "" {
		if err := s.cfg.ClearCloudLogin(); err != nil {
			s.log.Error("remove API key from config failed", "err", err)
		}
		_ = s.cfg.SetWasConnected(false)
		s.settings.reload(s.cfg)
	}
	_ = s.env.Unsetenv(secretAPIKey)
	_ = s.env.Unsetenv(secretEnabled)
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.db.DeleteSecret(dctx, secretAPIKey); err != nil {
		s.log.Error("remove API key from local agent record failed", "err", err)
	}
	_ = s.db.DeleteSecret(dctx, secretEnabled)
	_ = s.db.SetFlag(dctx, flagLoggedOut, "1")
	wasIn := s.sess.clear()
	s.credits.reset(s.topUpURL())
	s.login.setView(LoginView{Status: "idle"})
	if wasIn {
		s.log.Info("logged out of Eliza Cloud")
	}
	s.publish(EventLogin, LoginEvent{Status: "logged_out"})
	s.publish(EventCredits, CreditsView{TopUpURL: s.topUpURL()})
	return LogoutResponse{OK: true, Status: "disconnected", KeyStillValid: true, RevokeURL: s.cloudPage(apiKeysPath)}, nil
}
