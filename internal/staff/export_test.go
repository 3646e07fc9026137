package staff

// StreamCheck lets tests shorten how often an event stream re-checks its
// session.
var StreamCheck = &streamCheck
