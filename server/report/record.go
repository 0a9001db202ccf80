// Package report turns the branch's tickets and events into the manager's
// figures: counts, waits, service times, SLA attainment, ratings and the
// accuracy of the wait estimate, per service, counter, staff member, hour,
// day or tier. It is pure: no I/O and no wall clock. The store keeps one
// compact Record per ticket, updated by Apply as events commit, so a year of
// reports never decodes the event log.
package report

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"queuebox/server/queue"
)

// DefaultTier is the tier of a ticket that carries none.
const DefaultTier = "standard"

// TierOf is the tier a ticket is reported under.
func TierOf(t *queue.Ticket) string {
	if t.Tier == "" {
		return DefaultTier // a ticket from before tiers
	}
	return t.Tier
}

// PredictedWaitOf is the wait the box promised when it issued t, in seconds,
// and whether it was recorded at all.
func PredictedWaitOf(t *queue.Ticket) (int, bool) {
	if t.Promise == nil {
		return 0, false // a ticket from before promises were kept
	}
	return t.Promise.WaitSeconds, true
}

// Record is what reports need of one ticket. Times are Unix milliseconds,
// 0 when the moment has not happened.
type Record struct {
	ID        uint64
	Number    string
	Date      string // business date of issue, YYYY-MM-DD in the branch's zone
	ServiceID string
	Tier      string
	Priority  int
	Status    queue.Status
	Issued    int64
	Called    int64 // first call: the wait ends here
	Started   int64
	Ended     int64
	CounterID string // the counter that served (or last called) it
	Staff     string // user who served it: the finisher, else the caller
	Outcome   string
	Rating    int // 1..5, 0 none
	// Predicted is the promised wait in seconds, -1 unknown.
	Predicted int
	// WalkOut is a ticket cancelled before it was ever called.
	WalkOut bool
}

func millis(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Apply folds one event of the ticket's life into r. Events without a
// ticket leave r as it was. r is the zero Record for a ticket not seen yet.
func (r *Record) Apply(ev *queue.Event) {
	t := ev.Ticket
	if t == nil {
		return
	}
	if r.ID == 0 {
		r.ID = parseID(t.ID)
		r.Predicted = -1
	}
	r.Number, r.Date, r.ServiceID = t.Number, t.Date, t.ServiceID
	r.Tier, r.Priority, r.Status = TierOf(t), t.Priority, t.Status
	r.Issued = millis(&t.IssuedAt)
	if p, ok := PredictedWaitOf(t); ok {
		r.Predicted = p
	}
	if r.Called == 0 && t.CalledAt != nil {
		r.Called = millis(t.CalledAt)
	}
	if t.StartedAt != nil {
		r.Started = millis(t.StartedAt)
	}
	if t.CounterID != "" {
		r.CounterID = t.CounterID
	}
	r.Ended = millis(t.EndedAt)
	r.Outcome = t.Outcome
	if t.Rating > 0 {
		r.Rating = t.Rating
	}
	if user, ok := strings.CutPrefix(ev.Actor, "user:"); ok {
		switch ev.Type {
		case queue.EventCalled, queue.EventStarted, queue.EventFinished, queue.EventNoShow:
			r.Staff = user
		}
	}
	r.WalkOut = t.Status == queue.StatusCancelled && r.Called == 0
}

func parseID(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n
}

// WaitSeconds is the time from issue to first call, and whether it was called.
func (r *Record) WaitSeconds() (int, bool) {
	if r.Called == 0 {
		return 0, false
	}
	return int((r.Called - r.Issued) / 1000), true
}

// ServiceSeconds is the time at the counter of a served ticket: from start
// (or from the call when staff never pressed start) to the end.
func (r *Record) ServiceSeconds() (int, bool) {
	if r.Status != queue.StatusDone || r.Ended == 0 {
		return 0, false
	}
	from := r.Started
	if from == 0 {
		from = r.Called
	}
	if from == 0 {
		return 0, false
	}
	return int((r.Ended - from) / 1000), true
}

// recordVersion is the first byte of an encoded Record; a new layout gets a
// new version and the store rebuilds its index.
const recordVersion = 2

// RecordVersion is the layout Marshal writes.
func RecordVersion() byte { return recordVersion }

// Marshal encodes r compactly: about 60 bytes for a served ticket.
func (r *Record) Marshal() []byte {
	b := make([]byte, 0, 96)
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, r.ID)
	for _, s := range []string{r.Number, r.Date, r.ServiceID, r.Tier, string(r.Status), r.CounterID, r.Staff, r.Outcome} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, n := range []int64{int64(r.Priority), r.Issued, r.Called, r.Started, r.Ended, int64(r.Rating), int64(r.Predicted)} {
		b = binary.AppendVarint(b, n)
	}
	if r.WalkOut {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return b
}

// ErrBadRecord is a stored record that cannot be read.
var ErrBadRecord = errors.New("bad report record")

// Interner shares the strings of records read one after another: a year of
// records holds a handful of service ids and a few hundred dates and
// numbers, so reading them allocates next to nothing.
type Interner struct {
	m    map[string]string
	last [8]string // the previous record's strings: most repeat
}

// NewInterner makes an empty Interner.
func NewInterner() *Interner { return &Interner{m: map[string]string{}} }

func (in *Interner) intern(i int, raw []byte) string {
	if in.last[i] == string(raw) {
		return in.last[i]
	}
	s, ok := in.m[string(raw)]
	if !ok {
		s = string(raw)
		in.m[s] = s
	}
	in.last[i] = s
	return s
}

// Unmarshal decodes what Marshal wrote, sharing strings through in (may be nil).
func Unmarshal(b []byte, in *Interner) (Record, error) {
	var r Record
	if len(b) == 0 || b[0] != recordVersion {
		return r, ErrBadRecord
	}
	b = b[1:]
	id, n := binary.Uvarint(b)
	if n <= 0 {
		return r, ErrBadRecord
	}
	r.ID, b = id, b[n:]
	var strs [8]string
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return r, ErrBadRecord
		}
		raw := b[n : n+int(l)]
		if in != nil {
			strs[i] = in.intern(i, raw)
		} else {
			strs[i] = string(raw)
		}
		b = b[n+int(l):]
	}
	var nums [7]int64
	for i := range nums {
		v, n := binary.Varint(b)
		if n <= 0 {
			return r, ErrBadRecord
		}
		nums[i], b = v, b[n:]
	}
	if len(b) != 1 {
		return r, ErrBadRecord
	}
	r.Number, r.Date, r.ServiceID, r.Tier = strs[0], strs[1], strs[2], strs[3]
	r.Status, r.CounterID, r.Staff, r.Outcome = queue.Status(strs[4]), strs[5], strs[6], strs[7]
	r.Priority, r.Issued, r.Called, r.Started, r.Ended = int(nums[0]), nums[1], nums[2], nums[3], nums[4]
	r.Rating, r.Predicted = int(nums[5]), int(nums[6])
	r.WalkOut = b[0] == 1
	return r, nil
}
