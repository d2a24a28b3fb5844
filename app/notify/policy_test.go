package notify

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// step is one observed state; the runner feeds each with the previous one.
type step struct {
	in   Input
	want []string // "credits/low", "credits/critical", "connection/lost", "connection/reconnected"
}

func bal(b float64) Input {
	return Input{LoggedIn: true, HasBalance: true, Balance: b, ConnState: "connected", AgentName: "Milady"}
}

func conn(state string) Input {
	return Input{LoggedIn: true, HasBalance: true, Balance: 10, ConnState: state, AgentName: "Milady"}
}

// byUser marks steps as the user's own doing (connect, disconnect, log-out).
func byUser(steps []step) []step {
	for i := range steps {
		steps[i].in.UserAction = true
	}
	return steps
}

func name(a Alert) string {
	switch {
	case a.Kind == KindCredits && a.Level == "critical":
		return "credits/critical"
	case a.Kind == KindCredits:
		return "credits/low"
	case a.Kind == KindConnection && strings.HasPrefix(a.Title, "Reconnected"):
		return "connection/reconnected"
	case a.Kind == KindConnection:
		return "connection/lost"
	}
	return "unknown " + a.Kind
}

func balances(bs ...float64) []step {
	var out []step
	for _, b := range bs {
		out = append(out, step{in: bal(b)})
	}
	return out
}

// states is one step per connection state, credits untouched.
func states(ss ...string) []step {
	var out []step
	for _, st := range ss {
		out = append(out, step{in: conn(st)})
	}
	return out
}

// expect marks the alerts of the last step of steps.
func expect(steps []step, want ...string) []step {
	steps[len(steps)-1].want = want
	return steps
}

func seq(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestPolicySequences(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"no repeat while the balance stays low across many polls", seq(
			balances(10),
			expect(balances(1.5), "credits/low"),
			balances(1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.4, 1.9, 0.51, 1.99, 1.5, 1.5),
		)},
		{"one alert again after a top-up to 10 and a new fall to 1.50", seq(
			balances(10),
			expect(balances(1.5), "credits/low"),
			balances(1.5, 10, 10),
			expect(balances(1.5), "credits/low"),
			balances(1.5),
		)},
		{"low then critical then staying critical: 2 alerts", seq(
			expect(balances(1.5), "credits/low"),
			expect(balances(0.4), "credits/critical"),
			balances(0.3, 0.2, 0.1, 0, -0.2, 0.49),
		)},
		{"critical back to low does not alert low; critical re-arms at 0.50", seq(
			expect(balances(1.5), "credits/low"),
			expect(balances(0.4), "credits/critical"),
			balances(1.0, 0.5, 1.9),
			expect(balances(0.45), "credits/critical"),
			balances(1.2, 1.9),
		)},
		{"low re-arms only at 2.00 or more", seq(
			expect(balances(1.99), "credits/low"),
			balances(1.999, 1.5, 1.999),
			balances(2.00),
			expect(balances(1.99), "credits/low"),
		)},
		{"straight from ok to critical: one critical alert, no low", seq(
			balances(10),
			expect(balances(0.3), "credits/critical"),
			balances(1.0, 1.0),
			balances(2.5),
			expect(balances(1.0), "credits/low"),
		)},
		{"already low at the first reading alerts once", seq(
			expect(balances(1.0), "credits/low"),
			balances(1.0, 1.0),
		)},
		{"an unknown balance changes nothing", seq(
			expect(balances(1.5), "credits/low"),
			[]step{{in: Input{LoggedIn: true, ConnState: "connected"}}},
			balances(1.5),
		)},
		{"log-out re-arms for the next login", seq(
			expect(balances(1.5), "credits/low"),
			[]step{{in: Input{ConnState: "disconnected"}}},
			expect(balances(1.5), "credits/low"),
		)},
		{"connection lost once per outage", seq(
			states("connecting", "connected", "reconnecting"),
			expect(states("error"), "connection/lost"),
			states("disconnected"),
		)},
		{"giving up straight to disconnected also alerts", seq(
			states("connected", "reconnecting"),
			expect(states("disconnected"), "connection/lost"),
		)},
		{"a reconnection that succeeds says nothing",
			states("connected", "reconnecting", "connected", "reconnecting", "connected"),
		},
		{"reconnected only after a notified loss", seq(
			states("connected", "reconnecting"),
			expect(states("error"), "connection/lost"),
			states("disconnected", "connecting"),
			expect(states("connected"), "connection/reconnected"),
			states("reconnecting", "connected"),
		)},
		{"each outage is notified", seq(
			states("connected", "reconnecting"),
			expect(states("error"), "connection/lost"),
			states("connecting"),
			expect(states("connected"), "connection/reconnected"),
			states("reconnecting"),
			expect(states("error"), "connection/lost"),
		)},
		{"user action: nothing", seq(
			byUser(states("connecting", "connected", "disconnected", "connecting")),
			states("connected", "reconnecting"),
			byUser(states("disconnected")),
			states("connecting", "connected"),
		)},
		{"the user reconnecting after a notified loss gets no 'reconnected'", seq(
			states("connected", "reconnecting"),
			expect(states("error"), "connection/lost"),
			states("disconnected"),
			byUser(states("connecting")),
			states("connected"),
		)},
		{"a failed first connect is not an outage",
			states("connecting", "error", "disconnected", "connecting", "connected"),
		},
		{"credits and connection in one change", []step{
			{in: conn("connected")},
			{in: conn("reconnecting")},
			{in: func() Input { in := conn("error"); in.Balance = 0.2; return in }(), want: []string{"credits/critical", "connection/lost"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPolicy()
			var prev Input
			for i, s := range tc.steps {
				var got []string
				for _, a := range p.Observe(prev, s.in) {
					got = append(got, name(a))
				}
				if !reflect.DeepEqual(got, s.want) {
					t.Fatalf("step %d (%+v): alerts %v, want %v", i, s.in, got, s.want)
				}
				prev = s.in
			}
		})
	}
}

func TestAlertContent(t *testing.T) {
	p := NewPolicy()
	low := p.Observe(Input{}, bal(1.5))
	if len(low) != 1 {
		t.Fatalf("alerts = %v", low)
	}
	want := Alert{
		Kind: "credits", ID: "credits", Level: "normal", Urgency: 1,
		Title: "Eliza Cloud credits are low",
		Body:  "Eliza Cloud credits are low: $1.50 left. Top up to keep your agent running.",
	}
	if low[0] != want {
		t.Errorf("low alert = %+v\nwant %+v", low[0], want)
	}
	crit := p.Observe(bal(1.5), bal(0.255))
	if len(crit) != 1 || crit[0].ID != "credits" || crit[0].Level != "critical" || crit[0].Urgency != 2 ||
		!strings.Contains(crit[0].Body, "$0.26 left") {
		t.Errorf("critical alert = %+v", crit)
	}

	q := NewPolicy()
	q.Observe(Input{}, conn("reconnecting"))
	lost := q.Observe(conn("reconnecting"), conn("error"))
	if len(lost) != 1 || lost[0].ID != "connection" || lost[0].Urgency != 1 ||
		lost[0].Body != "Lost the connection to Milady and could not reconnect. Open Milady Cloud to connect again." {
		t.Errorf("lost alert = %+v", lost)
	}
	back := q.Observe(conn("connecting"), conn("connected"))
	if len(back) != 1 || back[0].ID != "connection" || back[0].Body != "Reconnected to Milady." || back[0].Urgency != 0 {
		t.Errorf("reconnected alert = %+v", back)
	}
	r := NewPolicy()
	noName := conn("reconnecting")
	noName.AgentName = ""
	gone := noName
	gone.ConnState = "disconnected"
	if a := r.Observe(noName, gone); len(a) != 1 || !strings.Contains(a[0].Body, "your agent") {
		t.Errorf("alert without an agent name = %+v", a)
	}
}

func TestDollars(t *testing.T) {
	for v, want := range map[float64]string{1.5: "$1.50", 0: "$0.00", -0.2: "-$0.20", -0.001: "$0.00", 1234.567: "$1234.57"} {
		if got := dollars(v); got != want {
			t.Errorf("dollars(%v) = %s, want %s", v, got, want)
		}
	}
}

func ExamplePolicy() {
	p := NewPolicy()
	prev := Input{}
	for _, b := range []float64{5, 1.5, 1.4, 0.3, 0.2, 12, 1.8} {
		next := Input{LoggedIn: true, HasBalance: true, Balance: b, ConnState: "connected"}
		for _, a := range p.Observe(prev, next) {
			fmt.Println(a.Body)
		}
		prev = next
	}
	// Output:
	// Eliza Cloud credits are low: $1.50 left. Top up to keep your agent running.
	// Eliza Cloud credits are almost gone: $0.30 left. Top up now or your agent will stop.
	// Eliza Cloud credits are low: $1.80 left. Top up to keep your agent running.
}
