// faqbot staff console: live counts and list (server-sent events),
// relative times, the tab title, a reply character counter. No inline
// script is allowed by the Content-Security-Policy; this file is all.
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
      if (!isNaN(t)) els[i].textContent = human(now - t);
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
        ['queue', 'timeline', 'esc-head', 'counts'].forEach(function (id) {
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
  function onCounts(n) {
    setCounts(n);
    if (lastVersion !== null && n.version !== lastVersion) refresh();
    lastVersion = n.version;
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

  function counter() {
    var els = document.querySelectorAll('[data-count-for]');
    Array.prototype.forEach.call(els, function (out) {
      var ta = document.getElementById(out.getAttribute('data-count-for'));
      if (!ta) return;
      var max = ta.getAttribute('maxlength') || 1600;
      var upd = function () {
        var n = ta.value.length;
        var segs = n === 0 ? 0 : Math.ceil(n / (n > 160 ? 153 : 160));
        out.textContent = n + ' / ' + max + (segs > 1 ? ' · ' + segs + ' texts' : '');
      };
      ta.addEventListener('input', upd);
      upd();
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
    once();
    live();
  });
})();
