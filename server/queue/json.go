package queue

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The JSON of a ticket, of its view, of a ticket's event and of an
// idempotency key's use, written by hand: every ticket issued is stored
// twice (the ticket and its event, with its key's use) and answered once,
// and encoding/json's reflection was a tenth of the CPU a ticket costs.
// The bytes are exactly encoding/json's (same field order, omitempty,
// HTML-safe escaping, invalid UTF-8 as U+FFFD, times as RFC 3339 with
// nanoseconds): json_test.go fills every field of the types and compares,
// so a field added to a type fails there until it is written here too.
//
// Each AppendJSON reports false when it cannot write the value the way
// encoding/json would, or leaves it to encoding/json (a time outside the
// years 0-9999, a called ticket's reason arguments, an event that carries
// more than a ticket); the caller then uses encoding/json, which says why
// where it refuses.

// AppendJSON appends t as encoding/json writes it.
func (t *Ticket) AppendJSON(b []byte) ([]byte, bool) {
	b, ok := t.appendFields(b)
	return append(b, '}'), ok
}

// AppendJSON appends v as encoding/json writes it.
func (v *TicketView) AppendJSON(b []byte) ([]byte, bool) {
	b, ok := v.Ticket.appendFields(b)
	b = appendIntField(b, `,"ahead":`, v.Ahead)
	b = appendIntField(b, `,"ewt_seconds":`, v.EWTSeconds)
	b = appendIntField(b, `,"ewt_low_seconds":`, v.EWTLowSeconds)
	b = appendIntField(b, `,"ewt_high_seconds":`, v.EWTHighSeconds)
	return append(b, '}'), ok
}

// AppendJSON appends ev as encoding/json writes it, for an event that
// carries at most a ticket (an issue, a call without its counter, ...).
func (ev *Event) AppendJSON(b []byte) ([]byte, bool) {
	if ev.Counter != nil || ev.Service != nil || ev.Appointment != nil || ev.Clock != nil {
		return b, false
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = appendStringField(b, `,"type":`, ev.Type)
	b, ok := appendTimeField(b, `,"at":`, ev.At)
	if ev.Actor != "" {
		b = appendStringField(b, `,"actor":`, ev.Actor)
	}
	if ev.Ticket != nil {
		b = append(b, `,"ticket":`...)
		var tok bool
		b, tok = ev.Ticket.AppendJSON(b)
		ok = ok && tok
	}
	if ev.Recall {
		b = append(b, `,"recall":true`...)
	}
	if ev.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	if ev.From != "" {
		b = appendStringField(b, `,"from":`, ev.From)
	}
	if ev.Ahead != nil {
		b = appendIntField(b, `,"ahead":`, *ev.Ahead)
	}
	return append(b, '}'), ok
}

// AppendJSON appends it as encoding/json writes it: one is stored with
// every ticket issued with a key.
func (it *IdemEntry) AppendJSON(b []byte) ([]byte, bool) {
	// Room for the whole record at once (a key needs no escaping but in
	// odd cases): growing it field by field made three arrays per record.
	b = slices.Grow(b, len(it.Key)+len(it.TicketID)+96)
	b = appendStringField(b, `{"key":`, it.Key)
	b = appendStringField(b, `,"ticket_id":`, it.TicketID)
	b, ok := appendTimeField(b, `,"at":`, it.At)
	b = append(b, `,"run_ns":`...)
	b = strconv.AppendInt(b, int64(it.Run), 10)
	return append(b, '}'), ok
}

// appendFields appends t's object without its closing brace.
func (t *Ticket) appendFields(b []byte) ([]byte, bool) {
	ok := true
	b = appendStringField(b, `{"id":`, t.ID)
	b = appendStringField(b, `,"number":`, t.Number)
	b = appendStringField(b, `,"service_id":`, t.ServiceID)
	b = appendStringField(b, `,"status":`, string(t.Status))
	b = appendIntField(b, `,"priority":`, t.Priority)
	b = appendStringField(b, `,"token":`, t.Token)
	b = appendStringField(b, `,"date":`, t.Date)
	b, ok = appendTimeField(b, `,"issued_at":`, t.IssuedAt)
	b = append(b, `,"issued_run_ns":`...)
	b = strconv.AppendInt(b, int64(t.IssuedRun), 10)
	if t.CalledAt == nil {
		b = append(b, `,"called_at":null`...)
	} else {
		b = appendTimeOK(b, `,"called_at":`, *t.CalledAt, &ok)
	}
	if t.StartedAt != nil {
		b = appendTimeOK(b, `,"started_at":`, *t.StartedAt, &ok)
	}
	if t.EndedAt != nil {
		b = appendTimeOK(b, `,"ended_at":`, *t.EndedAt, &ok)
	}
	b = appendStringField(b, `,"counter_id":`, t.CounterID)
	b = appendStringField(b, `,"call_reason":`, t.CallReason)
	b = appendNonEmpty(b, `,"call_reason_code":`, t.CallReasonCode)
	if t.CallReasonArgs != nil {
		// A called ticket's reason is left to encoding/json: calls come at
		// a clerk's pace, issues at a crowd's.
		ok = false
	}
	if t.Recalls != 0 {
		b = appendIntField(b, `,"recalls":`, t.Recalls)
	}
	if len(t.Transfers) > 0 {
		b = append(b, `,"transfers":[`...)
		for i, s := range t.Transfers {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	}
	b = appendNonEmpty(b, `,"source":`, t.Source)
	b = appendNonEmpty(b, `,"appointment_id":`, t.AppointmentID)
	if t.AppointmentAt != nil {
		b = appendTimeOK(b, `,"appointment_at":`, *t.AppointmentAt, &ok)
	}
	if t.ParkedAt != nil {
		b = appendTimeOK(b, `,"parked_at":`, *t.ParkedAt, &ok)
	}
	b = appendNonEmpty(b, `,"notes":`, t.Notes)
	b = appendNonEmpty(b, `,"outcome":`, t.Outcome)
	b = appendNonEmpty(b, `,"customer_id":`, t.CustomerID)
	b = appendStringField(b, `,"tier":`, t.Tier)
	if t.PushBacks != 0 {
		b = appendIntField(b, `,"push_backs":`, t.PushBacks)
	}
	if t.HoldCalls != 0 {
		b = appendIntField(b, `,"hold_calls":`, t.HoldCalls)
	}
	if t.Rating != 0 {
		b = appendIntField(b, `,"rating":`, t.Rating)
	}
	b = appendNonEmpty(b, `,"comment":`, t.Comment)
	if p := t.Promise; p != nil {
		b = appendIntField(b, `,"promise":{"wait_seconds":`, p.WaitSeconds)
		b = appendIntField(b, `,"low_seconds":`, p.LowSeconds)
		b = appendIntField(b, `,"high_seconds":`, p.HighSeconds)
		b = appendIntField(b, `,"model_seconds":`, p.ModelSeconds)
		if p.SpreadSeconds != 0 {
			b = appendIntField(b, `,"spread_seconds":`, p.SpreadSeconds)
		}
		b = append(b, '}')
	}
	if t.NearTurnAt != nil {
		b = appendTimeOK(b, `,"near_turn_at":`, *t.NearTurnAt, &ok)
	}
	return b, ok
}

func appendIntField(b []byte, key string, v int) []byte {
	return strconv.AppendInt(append(b, key...), int64(v), 10)
}

func appendStringField(b []byte, key, s string) []byte {
	return appendString(append(b, key...), s)
}

// appendNonEmpty is an omitempty string field.
func appendNonEmpty(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringField(b, key, s)
}

// appendTimeField appends a time as time.Time's MarshalJSON does, and false
// where MarshalJSON would fail.
func appendTimeField(b []byte, key string, t time.Time) ([]byte, bool) {
	b = append(append(b, key...), '"')
	n := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	ok := len(b)-n > len("9999") && b[n+len("9999")] == '-' // four digits of year
	if last := b[len(b)-1]; ok && last != 'Z' {
		// MarshalJSON refuses an offset of 24 hours or more.
		zone := b[len(b)-len("07:00"):]
		ok = b[len(b)-len("Z07:00")] == '+' || b[len(b)-len("Z07:00")] == '-'
		ok = ok && 10*(zone[0]-'0')+(zone[1]-'0') < 24
	}
	return append(b, '"'), ok
}

func appendTimeOK(b []byte, key string, t time.Time, ok *bool) []byte {
	b, tok := appendTimeField(b, key, t)
	*ok = *ok && tok
	return b
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, as encoding/json writes it.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }

// appendString is encoding/json's string encoding with HTML escaping (the
// default of json.Marshal and json.Encoder).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
