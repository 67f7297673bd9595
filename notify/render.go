package notify

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/job"
)

// RenderOptions is what the renderers need besides the events. Rendering is
// pure: the same options and events give the same payloads.
type RenderOptions struct {
	// Server is the KAMONOHASHI web UI base URL, for job links. Without it
	// jobs are named but not linked.
	Server string
	// Location is the time zone of the times shown, which are written with
	// their zone; default UTC. The engine passes the schedule's zone, or
	// the machine's when none is set.
	Location *time.Location
	// Now is the time shown on summaries, digests and greetings, and the
	// end of the run times in a summary.
	Now time.Time
	// Lang picks the fixed labels: "ja" (default) or "en".
	Lang string
	// Phrase picks a phrase for a key ("completed", "failed", "killed",
	// "canceled", "trouble", "stuck_pending", "long_running", "started",
	// "deleted", "unknown", "enter", "leave", "leave_friday", "leave_quiet",
	// "summary", "digest"), usually at random from a message set. It may be
	// nil. Phrases are escaped like everything else.
	Phrase func(key string) string
	// Mentions are Slack targets for every job message: user IDs
	// "U…"/"W…", user-group IDs "S…", or "here"/"channel". Every job
	// message, single or batched, starts with them; greetings, summaries
	// and digests mention no one.
	Mentions []string
	// TenantMentions are the Slack targets of each tenant, by tenant id.
	// A message about one tenant's jobs starts with them; a batch over
	// several tenants (a webhook they share) puts each tenant's mentions
	// on the heading of that tenant's own section, never at the head of
	// the batch.
	TenantMentions map[int64][]string
	// ThreadLink, when set, gives the address of a job's thread in an app
	// channel ("" when it has none): batch and digest lines link to it.
	ThreadLink func(e job.Event) string
	// Owners maps a KAMONOHASHI user name to a Slack user ID, so the owner
	// of a job is mentioned on the job's own events (single, batched or in
	// a digest); an unmapped owner is shown by name. Summaries show owners
	// by name: they are about no one's event.
	Owners map[string]string
}

// Budgets for values from KAMONOHASHI, in characters once escaped.
const (
	nameBudget    = 200
	valueBudget   = 120
	reasonBudget  = 500
	logBudget     = 1500
	phraseBudget  = 300
	mentionsLimit = 20 // configured mentions used at most
)

// renderer holds the options and what is derived from them.
type renderer struct {
	o        RenderOptions
	l        *labels
	loc      *time.Location
	server   string
	mentions string
	// noOwnerMentions shows owners by name even when mapped (summaries).
	noOwnerMentions bool
}

func newRenderer(o RenderOptions) *renderer {
	s := strings.TrimRight(strings.TrimSpace(o.Server), "/")
	return &renderer{o: o, l: labelsFor(o.Lang), loc: cmp.Or(o.Location, time.UTC),
		server:   strings.TrimRight(strings.TrimSuffix(s, "/#"), "/"),
		mentions: mentions(o.Mentions[:min(len(o.Mentions), mentionsLimit)])}
}

// tenantMentions is the formatted mentions of one tenant, or "".
func (r *renderer) tenantMentions(t job.TenantRef) string {
	m := r.o.TenantMentions[t.ID]
	return mentions(m[:min(len(m), mentionsLimit)])
}

// headMentions is what a message about one tenant's jobs starts with:
// the message-wide mentions, then the tenant's own.
func (r *renderer) headMentions(t job.TenantRef) string {
	return joinMentions(r.mentions, r.tenantMentions(t))
}

// joinMentions joins formatted mention lists, each mention once.
func joinMentions(lists ...string) string {
	var out []string
	for _, l := range lists {
		for _, m := range strings.Fields(l) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return strings.Join(out, " ")
}

// phrase returns the escaped phrase for key, or "".
func (r *renderer) phrase(key string) string {
	if r.o.Phrase == nil {
		return ""
	}
	return inline(r.o.Phrase(key), phraseBudget, "")
}

// eventKey is the phrase key and label key of an event type.
func eventKey(t job.EventType) string {
	if _, ok := emoji[t]; ok {
		return string(t)
	}
	return "unknown"
}

// title is the label of an event type ("Completed").
func (r *renderer) title(t job.EventType) string { return cmp.Or(r.l.title[t], typeName(t)) }

var plainTypeName = regexp.MustCompile(`^[a-z_]{1,40}$`)

// typeName shows an event type kamobot has no label for; it needs no
// escaping, so titles holding it can be cut anywhere.
func typeName(t job.EventType) string {
	if plainTypeName.MatchString(string(t)) {
		return string(t)
	}
	return "?"
}

// eventEmoji is the emoji shortcode of an event type.
func eventEmoji(t job.EventType) string { return cmp.Or(emoji[t], ":grey_question:") }

// kind is the label of a job kind ("Training").
func (r *renderer) kind(k api.Kind) string {
	return cmp.Or(r.l.kinds[k], inline(string(k), 40, r.l.none))
}

// jobID is how a job is numbered in the web UI, and in its address: the
// list and detail pages of training, inference and notebook show the id
// (prop="id" in web-pages/src/views/<kind>/Index.vue; displayId is not
// shown anywhere), and a preprocessing run is the preprocessing's id and
// the input data's id (views/preprocessing/HistoryIndex.vue). The summary,
// which knows only the id, and `kamobot jobs` show the same number.
func jobID(j api.Job) string {
	if j.Kind == api.KindPreprocessing && j.ParentID != 0 {
		return "#" + strconv.FormatInt(j.ParentID, 10) + "/" + strconv.FormatInt(j.ID, 10)
	}
	return "#" + strconv.FormatInt(j.ID, 10)
}

// jobLink is "<url|name #id>", or "name #id" without a server.
func (r *renderer) jobLink(j api.Job, budget int) string {
	label := inline(j.Name, budget, r.l.noName) + " " + jobID(j)
	if r.server == "" {
		return label
	}
	return link(j.WebURL(r.server), label)
}

// threadLink is " · <thread|🧵>" for a job with a thread, else "".
func (r *renderer) threadLink(e job.Event) string {
	if r.o.ThreadLink != nil {
		if u := r.o.ThreadLink(e); u != "" {
			return " · " + link(u, r.l.thread)
		}
	}
	return ""
}

// logLink links the job's log in the web UI (web-pages/src/router: the
// job's address and "/log", for every kind, preprocessing runs included),
// or is "" without a server.
func (r *renderer) logLink(j api.Job) string {
	if r.server == "" {
		return ""
	}
	return link(j.WebURL(r.server)+"/log", r.l.openLog)
}

// owner is the job's owner: a mention when mapped, else the escaped name,
// then the mentions asked for by kamobot:mention= words of the job's memo
// or tags (job.Control). A summary (noOwnerMentions) shows the name alone.
func (r *renderer) owner(j api.Job) string {
	name := strings.TrimSpace(j.CreatedBy)
	id := strings.TrimSpace(r.o.Owners[name])
	o := inline(name, valueBudget, r.l.none)
	switch {
	case r.noOwnerMentions:
		return o
	case name != "" && slackUser.MatchString(id):
		o = "<@" + id + ">"
	}
	for _, id := range job.ControlOf(j).Mentions {
		if m := job.MentionMarkup(id); !strings.Contains(o, m) {
			o += " " + m
		}
	}
	return o
}

// tenant is the tenant's display name, escaped.
func (r *renderer) tenant(t job.TenantRef) string {
	return inline(t.Label(), valueBudget, r.l.none)
}

// transition is "Running → Completed", or the status alone.
func (r *renderer) transition(e job.Event) string {
	to := inline(api.NormalStatus(e.To), 60, r.l.none)
	if e.Type == job.EventDeleted {
		to = r.l.gone
	}
	from := inline(e.From, 60, "")
	if from == "" || from == to {
		return to
	}
	return from + " → " + to
}

// runTime is the run's duration: started to completed (or to when kamobot
// noticed), with its label; "" when the job never started.
func (r *renderer) runTime(e job.Event) (label, value string) {
	j := e.Job
	switch {
	case j.StartedAt.IsZero():
	case e.Type == job.EventLongRunning || e.Type == job.EventTrouble || e.Type == job.EventDeleted ||
		e.Type == job.EventStateUnknown:
		// Still running, or last seen running: how long so far.
		return r.l.runningFor, Duration(e.At.Sub(j.StartedAt), r.o.Lang)
	case e.Type.IsEnding():
		return r.l.duration, Duration(ended(e).Sub(j.StartedAt), r.o.Lang)
	}
	return "", ""
}

// queueTime is how long the job waited in the queue, with its label, or "".
func (r *renderer) queueTime(e job.Event) (label, value string) {
	j := e.Job
	switch {
	case j.CreatedAt.IsZero():
	case !j.StartedAt.IsZero():
		return r.l.queued, Duration(j.StartedAt.Sub(j.CreatedAt), r.o.Lang)
	case e.Type == job.EventStuckPending:
		return r.l.waitingFor, Duration(e.At.Sub(j.CreatedAt), r.o.Lang)
	case e.Type.IsEnding(): // ended without starting: waited until the end
		return r.l.queued, Duration(ended(e).Sub(j.CreatedAt), r.o.Lang)
	}
	return "", ""
}

// ended is when the job of an ending event ended: its completion, or when
// kamobot noticed.
func ended(e job.Event) time.Time {
	if e.Job.CompletedAt.IsZero() {
		return e.At
	}
	return e.Job.CompletedAt
}

// when formats a time for people, in the configured zone, with the zone
// written: its abbreviation ("JST"), or its offset ("+0900") when it has
// none.
func (r *renderer) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.loc).Format("2006-01-02 15:04 MST")
}

// whenShort is when without the year: "11/24 15:04 JST".
func (r *renderer) whenShort(t time.Time) string {
	return t.In(r.loc).Format("01/02 15:04 MST")
}

// explains reports whether a message about the event shows why: the
// condition note, and for failures the end of the log.
func explains(t job.EventType) (reason, log bool) {
	switch t {
	case job.EventFailed, job.EventKilled, job.EventTrouble:
		return true, true
	case job.EventStuckPending, job.EventStateUnknown:
		return true, false
	}
	return false, false
}

// field is a labelled value: the label in bold on its own line.
func field(label, value string) string { return "*" + label + "*\n" + value }
