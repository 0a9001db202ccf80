package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// sortLines puts lines in time order: by day, then the moment the customer
// met the box (issue, else arrival, else the slot), then the trace's order.
func sortLines(ls []*Line) {
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		if a.dayIndex != b.dayIndex {
			return a.dayIndex < b.dayIndex
		}
		if !a.sortKey.Equal(b.sortKey) {
			return a.sortKey.Before(b.sortKey)
		}
		return a.order < b.order
	})
}

// Figures are the scores of one group of tickets.
type Figures struct {
	Tickets            int      `json:"tickets"`
	RMSESeconds        float64  `json:"rmse_seconds"`
	MAESeconds         float64  `json:"mae_seconds"`
	BiasSeconds        float64  `json:"bias_seconds"`
	Within5MinShare    float64  `json:"within_5min_share"`
	UnderBy5MinShare   float64  `json:"under_by_5min_share"`
	RangeHitShare      *float64 `json:"range_hit_share,omitempty"`
	MeanRangeWidth     *float64 `json:"mean_range_width_seconds,omitempty"`
	WaitMeanSeconds    *float64 `json:"wait_mean_seconds,omitempty"`
	WaitP95Seconds     *float64 `json:"wait_p95_seconds,omitempty"`
	WaitMaxSeconds     *float64 `json:"wait_max_seconds,omitempty"`
	SLAMetShare        *float64 `json:"sla_met_share,omitempty"`
	AppointmentsOnTime *int     `json:"appointments_on_time,omitempty"`
	OnTimeCalledShare  *float64 `json:"on_time_called_by_slot_plus_10min_share,omitempty"`
	QL                 *Figures `json:"ql,omitempty"`
}

// Summary is summary.json.
type Summary struct {
	Format     string              `json:"format"`
	Trace      string              `json:"trace"`
	Policy     string              `json:"policy"`
	Days       int                 `json:"days"`
	DaysScored int                 `json:"days_scored"`
	BiasSign   string              `json:"bias_sign"`
	Overall    *Figures            `json:"overall"`
	Services   map[string]*Figures `json:"services"`
	Tiers      map[string]*Figures `json:"tiers"`
	Priorities map[string]*Figures `json:"priorities"`
	// MaxWaitCap checks the walk-ins' cap: a desk that serves someone past
	// it calls nobody who has waited less.
	MaxWaitCap *CapCheck `json:"max_wait_cap,omitempty"`
}

// CapCheck counts the calls of the scored days that broke the cap.
type CapCheck struct {
	CapMinutes    int     `json:"cap_minutes"`
	Calls         int     `json:"calls"`
	Violations    int     `json:"violations"`
	HonouredShare float64 `json:"honoured_share"`
}

type scored struct {
	l      *Line
	actual float64
	ql     float64
}

// Summarize scores the lines: the called walk-ins of the scored days, and
// the appointments that checked in on time.
func Summarize(tr *Trace, lines []*Line, fifo bool) (*Summary, error) {
	p, err := tr.check()
	if err != nil {
		return nil, err
	}
	s := &Summary{Format: "queuebox-sim-summary/1", Trace: tr.Name, Policy: "box", Days: len(tr.Days), DaysScored: len(tr.Days) - p.scoreFrom,
		BiasSign: "mean of predicted − actual: below 0 means people waited longer than promised",
		Services: map[string]*Figures{}, Tiers: map[string]*Figures{}, Priorities: map[string]*Figures{}}
	if fifo {
		s.Policy = "fifo"
	}
	ql := qlBaseline(tr, lines)
	groups := map[string][]scored{}
	appts := map[string][]*Line{}
	for _, l := range lines {
		if !l.Scored {
			continue
		}
		if l.Kind == "appointment" && !l.issued.IsZero() && !l.issued.After(l.slot) {
			appts[""] = append(appts[""], l)
			appts["s:"+l.ServiceID] = append(appts["s:"+l.ServiceID], l)
		}
		if l.Kind != "walkin" || l.ActualWait == nil || (l.Outcome != "done" && l.Outcome != "no_show") {
			continue
		}
		sc := scored{l: l, actual: float64(*l.ActualWait), ql: ql[l]}
		for _, k := range []string{"", "s:" + l.ServiceID, "t:" + l.Tier, "p:" + strconv.Itoa(l.Priority)} {
			groups[k] = append(groups[k], sc)
		}
	}
	fig := func(k string, tier *Tier) *Figures {
		f := figures(groups[k], tier)
		if as, ok := appts[k]; ok {
			n := len(as)
			hit := 0
			for _, l := range as {
				if !l.called.IsZero() && !l.called.After(l.slot.Add(10*time.Minute)) {
					hit++
				}
			}
			f.AppointmentsOnTime = &n
			f.OnTimeCalledShare = ptr(float64(hit) / float64(n))
		}
		return f
	}
	s.Overall = fig("", nil)
	for id := range p.services {
		s.Services[id] = fig("s:"+id, nil)
	}
	tiers := sortedKeys(p.tiers)
	if len(tiers) == 0 {
		tiers = []string{p.defaultTier}
	}
	for _, id := range tiers {
		t := p.tiers[id]
		s.Tiers[id] = fig("t:"+id, &t)
	}
	for k := range groups {
		if len(k) > 2 && k[:2] == "p:" {
			s.Priorities[k[2:]] = fig(k, nil)
		}
	}
	if p.settings.MaxWaitMinutes > 0 {
		s.MaxWaitCap = capCheck(tr, lines, time.Duration(p.settings.MaxWaitMinutes)*time.Minute)
	}
	return s, nil
}

// capCheck goes through every call of the scored days: when the one called
// had waited less than the cap, nobody the desk serves may have been waiting
// longer than the cap at that moment.
func capCheck(tr *Trace, lines []*Line, limit time.Duration) *CapCheck {
	serves := map[string][]string{}
	for _, c := range tr.Counters {
		serves[c.ID] = c.ServiceIDs
	}
	type key struct {
		day     int
		service string
	}
	byService := map[key][]*Line{}
	for _, l := range lines {
		if l.Scored && !l.issued.IsZero() {
			k := key{l.dayIndex, l.ServiceID}
			byService[k] = append(byService[k], l)
		}
	}
	for _, ls := range byService {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].issued.Before(ls[j].issued) })
	}
	cc := &CapCheck{CapMinutes: int(limit / time.Minute)}
	for _, l := range lines {
		if !l.Scored || l.called.IsZero() || l.CounterID == nil {
			continue
		}
		cc.Calls++
		if l.called.Sub(l.issued) > limit {
			continue
		}
		broke := false
		for _, sid := range serves[*l.CounterID] {
			for _, o := range byService[key{l.dayIndex, sid}] {
				if l.called.Sub(o.issued) <= limit {
					break // issued later: not past the cap
				}
				waiting := (o.called.IsZero() || o.called.After(l.called)) && (o.ended.IsZero() || o.ended.After(l.called))
				if waiting {
					broke = true
					break
				}
			}
			if broke {
				break
			}
		}
		if broke {
			cc.Violations++
		}
	}
	if cc.Calls > 0 {
		cc.HonouredShare = *ptr(1 - float64(cc.Violations)/float64(cc.Calls))
	}
	return cc
}

func ptr(v float64) *float64 {
	v = math.Round(v*10000) / 10000
	return &v
}

func figures(sc []scored, tier *Tier) *Figures {
	f := &Figures{Tickets: len(sc)}
	q := &Figures{Tickets: len(sc)}
	f.QL = q
	if len(sc) == 0 {
		return f
	}
	n := float64(len(sc))
	var se, ae, b, within, under, hit, width, qse, qae, qb, qwithin, qunder, sum, maxw, sla float64
	waits := make([]float64, 0, len(sc))
	for _, x := range sc {
		pred := float64(x.l.PredictedWait)
		e := pred - x.actual
		se += e * e
		ae += math.Abs(e)
		b += e
		if math.Abs(e) <= 300 {
			within++
		}
		if x.actual-pred > 300 {
			under++
		}
		if x.actual >= float64(x.l.PredictedLow) && x.actual <= float64(x.l.PredictedHigh) {
			hit++
		}
		width += float64(x.l.PredictedHigh - x.l.PredictedLow)
		qe := x.ql - x.actual
		qse += qe * qe
		qae += math.Abs(qe)
		qb += qe
		if math.Abs(qe) <= 300 {
			qwithin++
		}
		if x.actual-x.ql > 300 {
			qunder++
		}
		sum += x.actual
		maxw = math.Max(maxw, x.actual)
		waits = append(waits, x.actual)
		if tier != nil && tier.SLAWaitSeconds != nil && x.actual <= *tier.SLAWaitSeconds {
			sla++
		}
	}
	sort.Float64s(waits)
	p95 := waits[int(math.Ceil(0.95*n))-1]
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	f.RMSESeconds, f.MAESeconds, f.BiasSeconds = round(math.Sqrt(se/n)), round(ae/n), round(b/n)
	f.Within5MinShare, f.UnderBy5MinShare = *ptr(within / n), *ptr(under / n)
	f.RangeHitShare, f.MeanRangeWidth = ptr(hit/n), ptr(width/n)
	f.WaitMeanSeconds, f.WaitP95Seconds, f.WaitMaxSeconds = ptr(sum/n), ptr(p95), ptr(maxw)
	if tier != nil && tier.SLAWaitSeconds != nil {
		f.SLAMetShare = ptr(sla / n)
	}
	q.RMSESeconds, q.MAESeconds, q.BiasSeconds = round(math.Sqrt(qse/n)), round(qae/n), round(qb/n)
	q.Within5MinShare, q.UnderBy5MinShare = *ptr(qwithin / n), *ptr(qunder / n)
	return f
}

// qlBaseline is the queue-length estimate of every issued line: tickets
// ahead × the mean observed service time of the service's tickets that ended
// by the issue ÷ the open counters serving it.
func qlBaseline(tr *Trace, lines []*Line) map[*Line]float64 {
	avg := map[string]float64{}
	for _, s := range tr.Services {
		avg[s.ID] = float64(s.AvgServiceSeconds)
	}
	var ended []*Line
	for _, l := range lines {
		if l.ServiceSecondsObserv != nil {
			ended = append(ended, l)
		}
	}
	sort.SliceStable(ended, func(i, j int) bool { return ended[i].ended.Before(ended[j].ended) })
	var issued []*Line
	for _, l := range lines {
		if !l.issued.IsZero() && l.AheadAtIssue != nil {
			issued = append(issued, l)
		}
	}
	sort.SliceStable(issued, func(i, j int) bool { return issued[i].issued.Before(issued[j].issued) })
	sum, cnt := map[string]float64{}, map[string]float64{}
	out := make(map[*Line]float64, len(issued))
	k := 0
	for _, l := range issued {
		for k < len(ended) && !ended[k].ended.After(l.issued) {
			e := ended[k]
			sum[e.ServiceID] += float64(*e.ServiceSecondsObserv)
			cnt[e.ServiceID]++
			k++
		}
		mean := avg[l.ServiceID]
		if cnt[l.ServiceID] > 0 {
			mean = sum[l.ServiceID] / cnt[l.ServiceID]
		}
		open := float64(*l.OpenCountersAtIssue)
		if open < 1 {
			open = 1
		}
		out[l] = float64(*l.AheadAtIssue) * mean / open
	}
	return out
}

// Write puts tickets.jsonl and summary.json in dir (made if needed).
func Write(dir string, lines []*Line, s *Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make output directory: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "tickets.jsonl"))
	if err != nil {
		return fmt.Errorf("create tickets.jsonl: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			f.Close()
			return fmt.Errorf("write tickets.jsonl: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write tickets.jsonl: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write tickets.jsonl: %w", err)
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write summary.json: %w", err)
	}
	return nil
}
