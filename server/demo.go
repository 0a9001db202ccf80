package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"queuebox/server/config"
	"queuebox/server/queue"
	"queuebox/server/sim"
	"queuebox/server/store"
)

// The demo command gives a NEW database a past, so the reports, the wait
// estimate and the customers' tiers can be tried at once: it seeds the box
// from the config exactly as serve does, then plays made-up days through
// the real engine on a virtual clock (the simulator's player). It never
// touches a directory that already holds a database.

const demoUsage = `Usage:
  queuebox demo --config FILE --data DIR [--days 28] [--seed 1]

Makes a new box in DIR (which must not hold a database yet) from the config,
as serve would, and plays --days past business days ending yesterday in the
branch's time zone: walk-ins, appointments, no-shows and known customers with
purchases, all made up (their phones are in the fictional +1 NXX 555-01xx
range). Then start the box with: queuebox serve --config FILE --data DIR
`

// The made-up customers: demoKnown identify themselves by phone now and
// then (a third of the walk-ins), the first demoGold of them bought enough
// at the till for a spending tier, the next ones up to demoBuyers a little.
const (
	demoKnown  = 900
	demoGold   = 30
	demoBuyers = 120
)

// demoPaces are the desks' paces in turn (1 = the service's average time):
// a branch's clerks do not all work alike.
var demoPaces = []float64{1.0, 0.9, 1.15, 1.05, 0.95}

func demoCmd(args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stderr, demoUsage)
			return flag.ErrHelp
		}
	}
	own, rest := splitFlags(args, "days", "seed")
	fs := flag.NewFlagSet("queuebox demo", flag.ContinueOnError)
	days := fs.Int("days", 28, "past business days to play, ending yesterday")
	seed := fs.Uint64("seed", 1, "seed of the made-up arrivals (another seed, other days)")
	if err := parseFlags(fs, own, stderr); err != nil {
		return err
	}
	if *days < 1 || *days > 366 {
		return usageError("--days must be between 1 and 366")
	}
	cfg, err := config.LoadFor("queuebox demo", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	file := filepath.Join(cfg.Data, store.FileName)
	if _, err := os.Stat(file); err == nil {
		return usageError("refusing: %s already holds a database (%s); the demo only fills a new data directory, never a box's own data: choose another --data", cfg.Data, store.FileName)
	}
	sum, err := makeDemo(cfg, *days, *seed, time.Now())
	if err != nil {
		// The database is the demo's own (there was none): a half-played
		// one must not be taken for a demo later.
		_ = os.Remove(file)
		return fmt.Errorf("demo: %w", err)
	}
	sum.print(stdout, cfg.Data)
	return nil
}

// splitFlags takes the flags named (as -name V, --name V or --name=V) out
// of args: the demo's own flags, the rest being serve's.
func splitFlags(args []string, names ...string) (own, rest []string) {
	mine := func(a string) (bool, bool) {
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			return false, false
		}
		for _, n := range names {
			if n == name {
				return true, hasValue
			}
		}
		return false, false
	}
	for i := 0; i < len(args); i++ {
		ok, inline := mine(args[i])
		switch {
		case !ok:
			rest = append(rest, args[i])
		case inline || i+1 == len(args):
			own = append(own, args[i])
		default:
			own = append(own, args[i], args[i+1])
			i++
		}
	}
	return own, rest
}

// demoSummary is what the demo made.
type demoSummary struct {
	branch            string
	from, to          string
	days              int
	tickets, served   int
	appointments      int
	rated             int
	customers, tiered int
	notices           []string
}

func (d *demoSummary) print(w io.Writer, dir string) {
	fmt.Fprintf(w, "queuebox demo: %q in %s now has %d made-up days, %s to %s\n", d.branch, dir, d.days, d.from, d.to)
	fmt.Fprintf(w, "  %d tickets (%d served, %d rated), %d appointments, %d customers (%d above the default tier)\n",
		d.tickets, d.served, d.rated, d.appointments, d.customers, d.tiered)
	fmt.Fprintln(w, "  every customer, phone and purchase is made up; never copy this database to a real box")
	for _, n := range d.notices {
		fmt.Fprintf(w, "  ! %s\n", n)
	}
}

// makeDemo seeds a new database in cfg.Data and plays days business days
// ending the day before now (in the branch's zone) on it.
func makeDemo(cfg *config.Config, days int, seed uint64, now time.Time) (*demoSummary, error) {
	sc, err := seedFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(sc.settings.Timezone)
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	dates := demoDates(sc.settings.Hours, now.In(loc), days)
	if len(dates) == 0 {
		return nil, errors.New("the branch's hours open it on no day of the week")
	}
	start := dates[0].Add(-time.Hour)
	notices, err := seedDemo(cfg, start)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(cfg.Data, store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	sum, err := playDemo(cfg, db, sc, dates, seed, start)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	// The play skipped the disk's flush on every commit: flush once.
	if err := syncFile(filepath.Join(cfg.Data, store.FileName)); err != nil {
		return nil, err
	}
	sum.notices = notices
	return sum, nil
}

// seedDemo makes the database as serve makes a new one (settings, services,
// counters, tiers and the first admin), on a clock at the demo's start.
func seedDemo(cfg *config.Config, start time.Time) ([]string, error) {
	s, err := New(cfg, newLogger(io.Discard, "error"), Options{Clock: fixedClock{start}})
	if err != nil {
		return nil, err
	}
	notices := s.Notices
	return notices, s.Close()
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// demoDates are the local midnights of the last n days before now on which
// the branch opens, oldest first.
func demoDates(hours map[string]string, now time.Time, n int) []time.Time {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	var out []time.Time
	for back := 1; len(out) < n && back <= 7*n; back++ {
		d := today.AddDate(0, 0, -back)
		if strings.TrimSpace(hours[queue.Days[d.Weekday()]]) != "" {
			out = append(out, d)
		}
	}
	slices.Reverse(out)
	return out
}

// playDemo plays the dates on db: customers bought at the till before the
// first day (the best of them enough for the top tier), then each day's
// walk-ins and bookings.
func playDemo(cfg *config.Config, db *store.DB, sc *seedConfig, dates []time.Time, seed uint64, start time.Time) (*demoSummary, error) {
	box, err := sim.OpenBox(db, start)
	if err != nil {
		return nil, err
	}
	// The server's own customer code identifies the made-up customers, on
	// the play's engine and clock.
	s := &Server{cfg: cfg, log: newLogger(io.Discard, "error"), clock: box.Clock(), db: db, engine: box.Engine()}
	if err := s.demoPurchases(dates[0]); err != nil {
		return nil, fmt.Errorf("purchases: %w", err)
	}
	opt := sim.Options{
		Identify: func(id string) (string, string, func(), error) {
			i, _ := strconv.Atoi(strings.TrimPrefix(id, "m"))
			return s.identifyCustomer(demoPhone(i), "device:demo-kiosk")
		},
		Booker: func(n int) (string, string) {
			return fmt.Sprintf("Demo guest %d", n), demoPhone(demoKnown + n%demoBookers)
		},
		Feedback: demoFeedback(rand.New(rand.NewPCG(seed, 0xfeed))),
	}
	sum := &demoSummary{branch: sc.settings.BranchName, days: len(dates),
		from: dates[0].Format("2006-01-02"), to: dates[len(dates)-1].Format("2006-01-02")}
	// The customers' records follow the event log as a serving box's bus
	// does (no-shows); the play runs no bus, so each day's events are read
	// back from the log once it is on disk.
	seen := db.CommittedSeq()
	for i, d := range dates {
		floor := demoFloor(sc, d)
		tr := sim.Generate(sim.GenOptions{Days: 1, ScoreLast: 1, Start: d.Format("2006-01-02"), Seed: seed*1000 + uint64(i),
			Floor: floor, Known: demoKnown, Load: 0.85})
		lines, err := box.Play(tr, opt)
		if err != nil {
			return nil, fmt.Errorf("play %s: %w", d.Format("2006-01-02"), err)
		}
		sum.count(lines)
		if seen, err = s.followCustomers(seen); err != nil {
			return nil, fmt.Errorf("customers' records of %s: %w", d.Format("2006-01-02"), err)
		}
	}
	if err := box.Flush(); err != nil {
		return nil, err
	}
	return sum, s.countCustomers(sum)
}

func (d *demoSummary) count(lines []*sim.Line) {
	for _, l := range lines {
		if l.Number != nil {
			d.tickets++
		}
		if l.Outcome == "done" {
			d.served++
		}
		if l.Appointment != nil {
			d.appointments++
		}
		if l.Rating > 0 {
			d.rated++
		}
	}
}

// followCustomers hands the events logged after seq since to the
// customers' records, as the bus hands them to a serving box's, and
// returns the seq of the last one.
func (s *Server) followCustomers(since uint64) (uint64, error) {
	const page = 4096
	for {
		evs, err := s.db.Events(since, page)
		if err != nil {
			return since, err
		}
		for _, ev := range evs {
			s.customerEvents(ev)
			since = ev.Seq
		}
		if len(evs) < page {
			return since, nil
		}
	}
}

func (s *Server) countCustomers(sum *demoSummary) error {
	tiers := s.engine.Tiers()
	return s.db.EachCustomer(func(c store.Customer) error {
		sum.customers++
		if len(tiers) > 0 && c.Tier != tiers[len(tiers)-1].ID {
			sum.tiered++
		}
		return nil
	})
}

// demoAreas are the area codes of the made-up phones: demoKnown customers,
// then the phones of demoBookers bookings in turn.
var demoAreas = []string{"202", "212", "213", "312", "305", "404", "415", "503", "617", "713", "206", "303"}

const demoBookers = 300

// demoPhone is the i-th made-up phone: US numbers 555-0100 to 555-0199,
// which are kept for fiction, in demoAreas.
func demoPhone(i int) string {
	return fmt.Sprintf("+1%s555%04d", demoAreas[(i/100)%len(demoAreas)], 100+i%100)
}

// demoPurchases records the made-up customers' till history of the year
// before first, through the purchase import.
func (s *Server) demoPurchases(first time.Time) error {
	now := s.clock.Now()
	for i := 0; i < demoBuyers; i++ {
		name := fmt.Sprintf("Demo customer %03d", i)
		n, amount := 1, 150+(i*37)%900
		if i < demoGold {
			n, amount = 4, 14000+(i*211)%3000
		}
		for k := 0; k < n; k++ {
			at := first.AddDate(0, 0, -20-k*80-i%15).Format("2006-01-02")
			ref := fmt.Sprintf("DEMO-%03d-%d", i, k+1)
			if _, err := s.importRow(demoPhone(i), name, strconv.Itoa(amount), at, ref, now, "demo"); err != nil {
				return fmt.Errorf("customer %d: %w", i, err)
			}
		}
	}
	return nil
}

// demoFloor is the branch of one day: the config's services and desks,
// each desk working its schedule that weekday or else the branch's hours.
// A branch open around the clock (as the demo config, so it can be tried
// at any hour) plays the hours its desks' schedules span, or 09:00–17:00.
func demoFloor(sc *seedConfig, day time.Time) *sim.Floor {
	wd := queue.Days[day.Weekday()]
	hours, _ := queue.OpeningMinutes(sc.settings.Hours[wd])
	open, close := hours[0][0], hours[len(hours)-1][1]
	if close-open >= 24*60 {
		open, close = scheduleSpan(sc.counters)
	}
	close = min(close, 24*60-1)
	f := &sim.Floor{Timezone: sc.settings.Timezone, Open: clockHHMM(open), Close: clockHHMM(close)}
	for _, s := range sc.services {
		f.Services = append(f.Services, sim.Service{ID: s.ID, Prefix: s.Prefix, Name: s.Name, AvgServiceSeconds: s.AvgServiceSeconds,
			SlotMinutes: s.SlotMinutes, SlotCapacity: s.SlotCapacity, Priority: s.Priority})
	}
	for i, c := range sc.counters {
		work := hours
		if len(c.Schedule) > 0 {
			work, _ = queue.OpeningMinutes(c.Schedule[wd])
		}
		pace := demoPaces[i%len(demoPaces)]
		sc := sim.Counter{ID: c.ID, Name: c.Name, ServiceIDs: c.ServiceIDs, Speed: &pace}
		for _, w := range work {
			from, to := max(w[0], open), min(w[1], close)
			if from < to {
				sc.Shifts = append(sc.Shifts, sim.Shift{From: clockHHMM(from), To: clockHHMM(to)})
			}
		}
		f.Counters = append(f.Counters, sc)
	}
	return f
}

// scheduleSpan is the earliest start and latest end of the desks'
// schedules on any day, or 09:00–17:00 without any.
func scheduleSpan(counters []queue.Counter) (open, close int) {
	open, close = 24*60, 0
	for _, c := range counters {
		for _, h := range c.Schedule {
			spans, _ := queue.OpeningMinutes(h)
			for _, sp := range spans {
				open, close = min(open, sp[0]), max(close, sp[1])
			}
		}
	}
	if close <= open || close-open >= 24*60 {
		return 9 * 60, 17 * 60
	}
	return open, close
}

func clockHHMM(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// demoRatedShare is the share of served customers who rate their visit on
// the phone afterwards, demoCommentShare the share of those who write a
// few words too.
const (
	demoRatedShare   = 0.2
	demoCommentShare = 0.25
)

// demoComments are the made-up customers' comments by the rating they come
// with (1–2, 3, 4–5): generic on purpose, in both of the pages' languages.
var demoComments = [3][]string{
	{"Waited far too long, please open more counters.", "排队时间太长了，希望多开几个窗口。", "Nobody told me how long it would take."},
	{"The wait was a bit long, but the staff were kind.", "等的时间有点长，不过工作人员很耐心。"},
	{"Quick and friendly service, thank you.", "服务很周到，谢谢！", "Staff were patient and helpful.", "办理很快，体验不错。"},
}

// demoFeedback decides which served customers rate their visit, how and
// when: a fifth of them, mostly 4 or 5, less after a long wait or one much
// longer than the ticket promised, a few minutes after leaving the desk.
func demoFeedback(rng *rand.Rand) func(l *sim.Line) (time.Duration, int, string, bool) {
	return func(l *sim.Line) (time.Duration, int, string, bool) {
		if rng.Float64() >= demoRatedShare || l.ActualWait == nil {
			return 0, 0, "", false
		}
		rating := demoRating(rng.Float64(), *l.ActualWait, l.PredictedHigh)
		comment := ""
		if rng.Float64() < demoCommentShare {
			mood := 2
			switch {
			case rating <= 2:
				mood = 0
			case rating == 3:
				mood = 1
			}
			list := demoComments[mood]
			comment = list[rng.IntN(len(list))]
		}
		after := time.Minute + time.Duration(rng.IntN(20*60))*time.Second
		return after, rating, comment, true
	}
}

// demoRating is a rating from a uniform draw u: 5 or 4 mostly, a point
// less after a wait over 20 minutes, another over 40 or past the promise's
// high end by 10 minutes.
func demoRating(u float64, waitSeconds, promisedHigh int) int {
	rating := 1
	for _, step := range []struct {
		below  float64
		rating int
	}{{0.55, 5}, {0.85, 4}, {0.95, 3}, {0.98, 2}} {
		if u < step.below {
			rating = step.rating
			break
		}
	}
	if waitSeconds > 20*60 {
		rating--
	}
	if waitSeconds > 40*60 || (promisedHigh > 0 && waitSeconds > promisedHigh+10*60) {
		rating--
	}
	return max(rating, 1)
}
