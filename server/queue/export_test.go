package queue

// QueuedIssues is how many requests to Issue wait for the next batch.
func (e *Engine) QueuedIssues() int {
	e.issueMu.Lock()
	defer e.issueMu.Unlock()
	return len(e.issueQ)
}
