package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeJS is axe-core (testdata/axe, MPL-2.0), the accessibility rules engine
// the page tests run in the browser. It is injected into the page under
// test, never served by the box.
//
//go:embed testdata/axe/axe.min.js
var axeJS string

// Violation is one accessibility rule a page breaks, with the elements that
// break it.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s\n\t\t%s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t\t"))
}

// Audit runs axe-core's WCAG 2.x A and AA rules, and its best practices, on
// the page in ctx as it is now, and returns the serious and critical
// violations.
func Audit(ctx context.Context) ([]Violation, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object" || (function () { `+axeJS+`
; return true; })()`)); err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](`axe.run(document, {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  resultTypes: ["violations"]
}).then(function (r) {
  return r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
    return { id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map(function (n) {
      return n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " ");
    }) };
  });
})`, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return got, nil
}

// CheckA11y fails t for every serious or critical accessibility violation
// on the page in ctx; state names what is on screen, for the message.
func CheckA11y(t testing.TB, ctx context.Context, state string) {
	t.Helper()
	vs, err := Audit(ctx)
	if err != nil {
		t.Errorf("%s: %v", state, err)
		return
	}
	for _, v := range vs {
		t.Errorf("%s: accessibility: %s", state, v)
	}
}
