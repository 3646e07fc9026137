package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/flsps/faqbot/internal/store"
)

// Password rules.
const (
	// MinPasswordLen is the minimum length, in characters, of a chosen password.
	MinPasswordLen = 10
	// MaxPasswordBytes is bcrypt's limit.
	MaxPasswordBytes = 72
)

// Cookie names.
const (
	SessionCookie = "faqbot_session"
	loginCookie   = "faqbot_login" // pre-session CSRF token of the sign-in form
	flashCookie   = "faqbot_flash"
)

// CSRFHeader carries the CSRF token on fetch() POSTs; forms use the hidden
// field "csrf".
const CSRFHeader = "X-CSRF-Token"

// CheckPassword reports why a chosen password is not acceptable, or nil.
func CheckPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Errorf("password too short: use at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("password too long: at most %d bytes", MaxPasswordBytes)
	}
	return nil
}

// HashPassword returns the bcrypt hash of pw (which must pass CheckPassword).
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// GeneratePassword returns a random password of 20 characters from an
// alphabet without look-alikes (about 110 bits).
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randomFrom(alphabet, 20)
}

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		// Rejection sampling keeps the choice uniform.
		if int(buf[0]) >= 256-256%len(alphabet) {
			continue
		}
		b[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(b)
}

// NewAPIToken returns a new random bearer token ("fqb_" and 43 URL-safe
// characters, 256 bits). Store only store.HashToken of it.
func NewAPIToken() string { return "fqb_" + randomToken() }

// randomToken is 32 random bytes, URL-safe base64 without padding.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func equalTokens(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sess is the signed-in staff member of a request.
type sess struct {
	s    *store.Session
	user *store.StaffUser
	// version is the hub's change version when the request arrived, before
	// the handler read anything: a page rendered from this request shows
	// at least every change up to it (see pageData.Version).
	version uint64
}

type sessKey struct{}

// session returns the valid session of the request's cookie, or nil. touch
// slides its idle expiry (page loads and actions do; background requests
// such as the event stream do not, so an open tab does not keep a session
// alive forever).
func (c *Console) session(r *http.Request, touch bool) *sess {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil
	}
	ctx := r.Context()
	s, u, err := c.o.Store.SessionByHash(ctx, store.HashToken(ck.Value))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			c.log.Error("staff: session lookup", "err", err)
		}
		return nil
	}
	now := c.now()
	if u.Disabled || !now.Before(s.ExpiresAt) {
		if err := c.o.Store.DeleteSession(ctx, s.ID); err != nil {
			c.log.Error("staff: delete session", "err", err)
		}
		return nil
	}
	// Slide at most once a minute: one write per page view is enough.
	if touch && now.Sub(s.LastSeenAt) > time.Minute {
		exp := now.Add(c.idle)
		if err := c.o.Store.TouchSession(ctx, s.ID, now, exp); err != nil {
			c.log.Error("staff: touch session", "err", err)
		} else {
			s.LastSeenAt, s.ExpiresAt = now, exp
		}
	}
	return &sess{s: s, user: u}
}

// authed wraps a handler that needs a signed-in staff member. Without one,
// the request is redirected to the sign-in page (303, with the page to
// return to). POSTs must carry the session's CSRF token (form field "csrf"
// or header X-CSRF-Token), or get 403.
func (c *Console) authed(h func(http.ResponseWriter, *http.Request, *sess), touch bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		se := c.session(r, touch)
		if se == nil {
			target := "/staff/login"
			if r.Method == http.MethodGet && r.URL.Path != "/staff" && safeNext(r.URL.Path) {
				target += "?next=" + url.QueryEscape(r.URL.Path)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		se.version = c.hub.currentVersion() // before the handler reads anything
		if r.Method == http.MethodPost {
			if !c.sameOrigin(r) {
				c.log.Warn("staff: cross-site POST refused", "path", r.URL.Path, "user_id", se.user.ID)
				c.renderError(w, r, se, http.StatusForbidden, "This form came from another site",
					"For your safety the console only accepts its own forms. Go back to the inbox and try again there.")
				return
			}
			tok := r.Header.Get(CSRFHeader)
			if tok == "" {
				r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
				if err := r.ParseForm(); err != nil {
					var tooBig *http.MaxBytesError
					if errors.As(err, &tooBig) {
						c.renderError(w, r, se, http.StatusRequestEntityTooLarge, "Too much text",
							"That was more than the console accepts at once (64 KiB). Nothing was saved. Go back, shorten the text and send it again.")
						return
					}
					c.renderError(w, r, se, http.StatusBadRequest, "The form could not be read",
						"Nothing was saved. Go back, reload the page and try again.")
					return
				}
				tok = r.PostFormValue("csrf")
			}
			if !equalTokens(tok, se.s.CSRFToken) {
				c.log.Warn("staff: CSRF token missing or wrong", "path", r.URL.Path, "user_id", se.user.ID)
				c.renderError(w, r, se, http.StatusForbidden, "This form has expired",
					"The page was open too long or came from somewhere else. Go back, reload the page and try again.")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessKey{}, se)), se)
	})
}

// safeNext accepts only local console paths as a post-sign-in target.
func safeNext(p string) bool {
	return strings.HasPrefix(p, "/staff") && !strings.HasPrefix(p, "/staff/login") &&
		!strings.Contains(p, "//") && !strings.ContainsAny(p, "\\?#") && len(p) < 200
}

func (c *Console) setCookie(w http.ResponseWriter, name, value, path string, maxAge int, site http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: c.o.SecureCookies, SameSite: site})
}

type loginData struct {
	Email string
	Error string
	Token string
	Next  string
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if se := c.session(r, true); se != nil {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
		return
	}
	next := r.URL.Query().Get("next")
	if !safeNext(next) {
		next = ""
	}
	c.renderLogin(w, r, http.StatusOK, loginData{Next: next})
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	// The sign-in form's CSRF token is a double-submit cookie: there is no
	// session yet to hold one.
	tok := ""
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) == 43 {
		tok = ck.Value
	} else {
		tok = randomToken()
		c.setCookie(w, loginCookie, tok, "/staff/login", 3600, http.SameSiteStrictMode)
	}
	d.Token = tok
	c.render(w, r, status, "login", &pageData{Title: "Sign in", Login: &d})
}

const genericLoginError = "That email and password don't match an active staff account. Check them and try again."

func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	password := r.PostForm.Get("password")
	next := r.PostForm.Get("next")
	if !safeNext(next) {
		next = "/staff"
	}
	d := loginData{Email: email, Next: r.PostForm.Get("next")}
	if len(email) > 254 {
		email = email[:254]
	}

	ck, err := r.Cookie(loginCookie)
	if err != nil || !equalTokens(ck.Value, r.PostForm.Get("csrf")) || !c.sameOrigin(r) {
		d.Error = "The sign-in form expired. Please try again."
		c.renderLogin(w, r, http.StatusForbidden, d)
		return
	}

	addr := c.clientAddr(r)
	pairKey := addr + "\x00" + email
	if wait := max(c.failPair.Wait(pairKey), c.failAddr.Wait(addr)); wait > 0 {
		c.audit(r.Context(), r, nil, email, "login_refused", nil, "waiting after failed sign-ins")
		c.log.Warn("staff: sign-in refused while waiting after failures", "remote", addr)
		d.Error = "Too many wrong passwords from this device. " + c.tryAgain(wait)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		c.renderLogin(w, r, http.StatusTooManyRequests, d)
		return
	}

	u, err := c.o.Store.StaffByEmail(r.Context(), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.log.Error("staff: sign-in lookup", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Please try again in a moment.")
		return
	}
	reason := ""
	switch {
	case u == nil:
		c.burnDummyHash(password)
		reason = "unknown account"
	case bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil:
		reason = "wrong password"
	case u.Disabled:
		reason = "account disabled"
	}
	if reason != "" {
		var id *int64
		if u != nil {
			id = &u.ID
		}
		c.audit(r.Context(), r, id, email, "login_failed", nil, reason)
		d.Error = genericLoginError
		if wait := max(c.failPair.Fail(pairKey), c.failAddr.Fail(addr)); wait > 0 {
			d.Error += " " + c.tryAgain(wait)
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		}
		c.renderLogin(w, r, http.StatusUnauthorized, d)
		return
	}
	c.failPair.Reset(pairKey)

	// A new session each sign-in (no fixation); an older one of this
	// browser ends.
	if old := c.session(r, false); old != nil {
		if err := c.o.Store.DeleteSession(r.Context(), old.s.ID); err != nil {
			c.log.Error("staff: delete session", "err", err)
		}
	}
	raw := randomToken()
	now := c.now()
	if _, err := c.o.Store.DeleteExpiredSessions(r.Context(), now); err != nil {
		c.log.Error("staff: delete expired sessions", "err", err)
	}
	if _, err := c.o.Store.CreateSession(r.Context(), store.HashToken(raw), u.ID, randomToken(), now.Add(c.idle)); err != nil {
		c.log.Error("staff: create session", "err", err)
		c.renderError(w, r, nil, http.StatusInternalServerError, "Something went wrong", "Please try again in a moment.")
		return
	}
	c.audit(r.Context(), r, &u.ID, u.Name, "login", nil, "")
	c.setCookie(w, SessionCookie, raw, "/", 0, http.SameSiteLaxMode)
	c.setCookie(w, loginCookie, "", "/staff/login", -1, http.SameSiteStrictMode)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// tryAgain says when a sign-in may be tried again: "Try again in 8
// seconds (at 3:04:12 PM)."
func (c *Console) tryAgain(wait time.Duration) string {
	secs := int((wait + time.Second - 1) / time.Second)
	in := fmt.Sprintf("%d seconds", secs)
	switch {
	case secs == 1:
		in = "1 second"
	case secs >= 120:
		in = fmt.Sprintf("%d minutes", (secs+59)/60)
	}
	at := c.now().Add(wait).In(c.loc).Format("3:04:05 PM")
	return fmt.Sprintf("Try again in %s (at %s).", in, at)
}

// burnDummyHash spends as long as a real comparison, so a response's
// timing does not tell whether an account exists.
func (c *Console) burnDummyHash(pw string) {
	c.dummyOnce.Do(func() {
		c.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	})
	_ = bcrypt.CompareHashAndPassword(c.dummyHash, []byte(pw))
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, se *sess) {
	if err := c.o.Store.DeleteSession(r.Context(), se.s.ID); err != nil {
		c.log.Error("staff: delete session", "err", err)
	}
	c.audit(r.Context(), r, &se.user.ID, se.user.Name, "logout", nil, "")
	c.setCookie(w, SessionCookie, "", "/", -1, http.SameSiteLaxMode)
	http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
}
