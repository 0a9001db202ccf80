package queue

import (
	"fmt"
	"strings"
	"time"
)

// Why the box calls a ticket, as a code with its parameters: the pages word
// it in their own languages from these, and Ticket.CallReason keeps the
// English words made from the same. Beside each code, the ReasonArgs it
// uses.
const (
	ReasonNextInLine     = "next_in_line"     // —
	ReasonCap            = "cap"              // cap_minutes
	ReasonCapRisk        = "cap_risk"         // minutes, cap_minutes
	ReasonTarget         = "target"           // minutes
	ReasonTierTarget     = "tier_target"      // tier, tier_name, minutes
	ReasonTierPastTarget = "tier_past_target" // tier, tier_name, minutes
	ReasonTierShare      = "tier_share"       // tier, tier_name, share
	ReasonAppointment    = "appointment"      // at
	ReasonRotation       = "rotation"         // level, weights
	ReasonPriority       = "priority"         // priority
	ReasonBookedEarly    = "booked_early"     // at
	ReasonShortJob       = "short_job"        // at
	ReasonByNumber       = "by_number"        // by, text
)

// ReasonCodes lists every call reason code.
var ReasonCodes = []string{ReasonNextInLine, ReasonCap, ReasonCapRisk, ReasonTarget, ReasonTierTarget,
	ReasonTierPastTarget, ReasonTierShare, ReasonAppointment, ReasonRotation, ReasonPriority,
	ReasonBookedEarly, ReasonShortJob, ReasonByNumber}

// ReasonArgs are the parameters of a call reason.
type ReasonArgs struct {
	// Minutes is a time to or past a target or the cap, in whole minutes
	// (rounded); 0 or absent is under a minute.
	Minutes    int     `json:"minutes,omitempty"`
	CapMinutes int     `json:"cap_minutes,omitempty"`
	Tier       string  `json:"tier,omitempty"`      // the tier's id
	TierName   string  `json:"tier_name,omitempty"` // its name, as the admin wrote it
	Share      float64 `json:"share,omitempty"`
	// At is a branch time of day, "15:04".
	At string `json:"at,omitempty"`
	// Level is a priority level's name: normal, priority or VIP.
	Level    string        `json:"level,omitempty"`
	Weights  []LevelWeight `json:"weights,omitempty"`
	Priority int           `json:"priority,omitempty"`
	By       string        `json:"by,omitempty"`   // who called by number
	Text     string        `json:"text,omitempty"` // the reason they typed
	// BeforeBooked, with any code, is the slot ("15:04") the ticket was
	// taken before, from the booked service's queue.
	BeforeBooked string `json:"before_booked,omitempty"`
}

// LevelWeight is one priority level's share of the rotation.
type LevelWeight struct {
	Level  string `json:"level"`
	Weight int    `json:"weight"`
}

// Reason is why a ticket is called.
type Reason struct {
	Code string
	Args ReasonArgs
}

// set stores r on t, words and code. The args are a new value each time,
// never changed in place: copies of t may share them.
func (r Reason) set(t *Ticket) {
	t.CallReason, t.CallReasonCode, t.CallReasonArgs = r.Text(), r.Code, nil
	if a := r.Args; !a.empty() {
		t.CallReasonArgs = &a
	}
}

func (a ReasonArgs) empty() bool {
	return a.Minutes == 0 && a.CapMinutes == 0 && a.Tier == "" && a.TierName == "" && a.Share == 0 && a.At == "" &&
		a.Level == "" && len(a.Weights) == 0 && a.Priority == 0 && a.By == "" && a.Text == "" && a.BeforeBooked == ""
}

// Text is the reason in English words, as CallReason always said it.
func (r Reason) Text() string {
	a := r.Args
	var s string
	switch r.Code {
	case ReasonCap:
		s = fmt.Sprintf("waited past the %d-min cap", a.CapMinutes)
	case ReasonCapRisk:
		s = fmt.Sprintf("%s to the %d-min cap", minutesText(a.Minutes), a.CapMinutes)
	case ReasonTarget:
		s = minutesText(a.Minutes) + " to target"
	case ReasonTierTarget:
		s = fmt.Sprintf("%s · %s to target", a.TierName, minutesText(a.Minutes))
	case ReasonTierPastTarget:
		s = fmt.Sprintf("%s · %s past target", a.TierName, minutesText(a.Minutes))
	case ReasonTierShare:
		s = fmt.Sprintf("%s · tier share %g", a.TierName, a.Share)
	case ReasonAppointment:
		s = "appointment at " + a.At
	case ReasonRotation:
		parts := make([]string, len(a.Weights))
		for i, w := range a.Weights {
			parts[i] = fmt.Sprintf("%d %s", w.Weight, w.Level)
		}
		s = fmt.Sprintf("%s turn in the rotation (%s)", a.Level, strings.Join(parts, " : "))
	case ReasonPriority:
		s = fmt.Sprintf("priority level %d, oldest first", a.Priority)
	case ReasonBookedEarly:
		s = "booked " + a.At + ", here early"
	case ReasonShortJob:
		s = "short job before booked " + a.At
	case ReasonByNumber:
		s = fmt.Sprintf("called by number by %s: %s", a.By, a.Text)
	default:
		s = "next in line"
	}
	if a.BeforeBooked != "" {
		s += ", before booked " + a.BeforeBooked
	}
	return s
}

// minutesText words whole minutes as the reasons do: "4 min", "<1 min".
func minutesText(m int) string {
	if m < 1 {
		return "<1 min"
	}
	return fmt.Sprintf("%d min", m)
}

// wholeMinutes rounds d to the minute, as minutes words it.
func wholeMinutes(d time.Duration) int {
	return int((d + 30*time.Second) / time.Minute)
}

// clearCallReason forgets why t was called, when it is no longer.
func clearCallReason(t *Ticket) {
	t.CallReason, t.CallReasonCode, t.CallReasonArgs = "", "", nil
}
