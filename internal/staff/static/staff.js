// faqbot staff console: live counts and list (server-sent events),
// relative times, the tab title, opt-in emergency alerts (sound and a
// desktop notification), saved replies, a reply counter in text-message
// segments. No inline script is allowed by the Content-Security-Policy;
// this file is all.
(function () {
  'use strict';
  var body = document.body;
  var baseTitle = body.getAttribute('data-title') || document.title;

  function setTitle(open) {
    document.title = (open > 0 ? '(' + open + ') ' : '') + baseTitle;
  }

  function setCounts(n) {
    setTitle(n.open);
    var box = document.getElementById('counts');
    if (!box) return;
    while (box.firstChild) box.removeChild(box.firstChild);
    var open = document.createElement('span');
    open.className = 'count-open' + (n.open > 0 ? ' has' : '');
    open.setAttribute('data-open', String(n.open));
    open.textContent = n.open + ' waiting';
    box.appendChild(open);
    if (n.urgent > 0) {
      var urg = document.createElement('span');
      urg.className = 'count-urgent';
      urg.textContent = n.urgent + ' urgent';
      box.appendChild(urg);
    }
  }

  function human(ms) {
    var m = Math.floor(ms / 60000);
    if (m < 1) return 'just now';
    if (m < 60) return m + ' min';
    var h = Math.floor(m / 60);
    if (h < 24) return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
    var d = Math.floor(h / 24);
    return d + ' d' + (h % 24 ? ' ' + (h % 24) + ' h' : '');
  }

  function tick() {
    var now = Date.now();
    var els = document.querySelectorAll('time[data-since]');
    for (var i = 0; i < els.length; i++) {
      var t = Date.parse(els[i].getAttribute('datetime'));
      if (isNaN(t)) continue;
      var h = human(now - t);
      els[i].textContent = els[i].hasAttribute('data-ago') && h !== 'just now' ? h + ' ago' : h;
    }
  }

  function status(text) {
    var el = document.getElementById('live-status');
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }

  // refresh re-reads the current page and swaps the parts that change by
  // themselves (never a form someone may be typing in).
  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { credentials: 'same-origin', headers: { 'X-Staff-Refresh': '1' } })
      .then(function (r) {
        if (r.redirected && r.url.indexOf('/staff/login') >= 0) { location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['queue', 'pager', 'timeline', 'esc-head', 'counts'].forEach(function (id) {
          var cur = document.getElementById(id), next = doc.getElementById(id);
          if (cur && next && cur.innerHTML !== next.innerHTML) {
            cur.innerHTML = next.innerHTML;
            cur.className = next.className;
          }
        });
        var t = doc.querySelector('title');
        if (t) document.title = t.textContent;
        tick();
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  // The version the page was rendered at: a change that lands between the
  // render and the event stream's first message still refreshes the page.
  var lastVersion = body.hasAttribute('data-version') ? Number(body.getAttribute('data-version')) : null;
  var lastUrgent = body.hasAttribute('data-latest-urgent') ? Number(body.getAttribute('data-latest-urgent')) : null;
  function onCounts(n) {
    setCounts(n);
    if (lastVersion !== null && n.version !== lastVersion) refresh();
    lastVersion = n.version;
    if (lastUrgent !== null && n.latest_urgent > lastUrgent) newEmergency();
    lastUrgent = n.latest_urgent;
  }

  // Emergency alerts: opt-in per person and browser (localStorage). A new
  // urgent escalation plays a tone and shows a desktop notification that
  // carries no patient data.
  var alertKey = 'faqbot.emergencyAlerts';
  function alertsOn() {
    try { return localStorage.getItem(alertKey) === '1'; } catch (e) { return false; }
  }
  function showAlertsState() {
    var b = document.getElementById('alerts-toggle');
    if (!b) return;
    b.hidden = false;
    b.textContent = 'Emergency alerts: ' + (alertsOn() ? 'on' : 'off');
    b.setAttribute('aria-pressed', alertsOn() ? 'true' : 'false');
  }
  function toggleAlerts() {
    var on = !alertsOn();
    try { localStorage.setItem(alertKey, on ? '1' : '0'); } catch (e) { /* private mode */ }
    if (on) {
      if (window.Notification && Notification.permission === 'default') Notification.requestPermission();
      tone(); // also unlocks audio for later, after this click
    }
    showAlertsState();
  }
  var audioCtx = null;
  function tone() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    try {
      audioCtx = audioCtx || new AC();
      [0, 0.35].forEach(function (at) {
        var o = audioCtx.createOscillator(), g = audioCtx.createGain();
        o.frequency.value = 880;
        g.gain.value = 0.15;
        o.connect(g); g.connect(audioCtx.destination);
        o.start(audioCtx.currentTime + at);
        o.stop(audioCtx.currentTime + at + 0.2);
      });
    } catch (e) { /* no audio */ }
  }
  function newEmergency() {
    window.__emergencyAlerts = (window.__emergencyAlerts || 0) + 1;
    if (!alertsOn()) return;
    tone();
    if (window.Notification && Notification.permission === 'granted') {
      try {
        var note = new Notification('New emergency in the staff inbox', { body: 'An urgent message needs someone now.', tag: 'faqbot-emergency' });
        note.onclick = function () { window.focus(); location.href = '/staff'; };
      } catch (e) { /* some browsers only notify from a service worker */ }
    }
  }

  function live() {
    if (!body.getAttribute('data-live')) return;
    if (window.EventSource) {
      var es = new EventSource('/staff/events');
      es.addEventListener('counts', function (e) {
        status('');
        try { onCounts(JSON.parse(e.data)); } catch (err) { /* ignore */ }
      });
      es.addEventListener('signedout', function () {
        es.close();
        status('Signed out after inactivity. Reload to sign in again.');
      });
      es.onerror = function () {
        if (es.readyState === EventSource.CLOSED) status('Live updates stopped. Reload the page.');
      };
    } else {
      setInterval(function () {
        fetch('/staff/counts', { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (n) { if (n) onCounts(n); })
          .catch(function () {});
      }, 15000);
    }
    // Delivery statuses arrive by themselves; while a reply is on its way,
    // look again now and then.
    setInterval(function () {
      if (document.querySelector('#timeline .st.pending')) refresh();
    }, 10000);
  }

  // GSM 03.38: the basic set (1 unit) and its extension (2 units). A text
  // with anything else is sent as UCS-2: 70 characters in one message, 67
  // per part when split (GSM: 160 and 153).
  var gsmBasic = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
  var gsmExt = '^{}\\[~]|€\f';
  function segments(text) {
    var units = 0, gsm = true;
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (gsmBasic.indexOf(ch) >= 0) units += 1;
      else if (gsmExt.indexOf(ch) >= 0) units += 2;
      else { gsm = false; break; }
    }
    if (!gsm) units = text.length; // UTF-16 code units, as UCS-2 counts them
    var one = gsm ? 160 : 70, part = gsm ? 153 : 67;
    return { n: units === 0 ? 0 : (units <= one ? 1 : Math.ceil(units / part)), gsm: gsm };
  }

  function counter() {
    var els = document.querySelectorAll('[data-count-for]');
    Array.prototype.forEach.call(els, function (out) {
      var ta = document.getElementById(out.getAttribute('data-count-for'));
      if (!ta) return;
      var max = ta.getAttribute('maxlength') || 1600;
      var upd = function () {
        var s = segments(ta.value);
        var txt = ta.value.length + ' / ' + max;
        if (s.n > 0) txt += ' · ' + s.n + (s.n === 1 ? ' text' : ' texts');
        if (!s.gsm) txt += ' (special characters: 70 per text)';
        out.textContent = txt;
      };
      ta.addEventListener('input', upd);
      upd();
    });
  }

  // Saved replies: choosing one puts its text in the reply box.
  function canned() {
    var sel = document.getElementById('canned');
    if (!sel) return;
    sel.addEventListener('change', function () {
      var ta = document.getElementById(sel.getAttribute('data-insert-into'));
      if (!ta || !sel.value) return;
      ta.value = ta.value.trim() ? ta.value.replace(/\s+$/, '') + '\n' + sel.value : sel.value;
      sel.value = '';
      ta.dispatchEvent(new Event('input'));
      ta.focus();
    });
  }

  // Avoid double submits: disable a form's button once it is sent.
  function once() {
    document.addEventListener('submit', function (e) {
      var btn = e.target.querySelector('button[type=submit]');
      if (btn) setTimeout(function () { btn.disabled = true; }, 0);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    tick();
    setInterval(tick, 30000);
    counter();
    canned();
    once();
    var at = document.getElementById('alerts-toggle');
    if (at) { at.addEventListener('click', toggleAlerts); showAlertsState(); }
    live();
  });
})();
