/* faqbot web chat widget.
 *
 * One tag on any page adds a chat button and panel:
 *   <script src="https://BOT-HOST/chat/widget.js" async></script>
 * Plain JavaScript and CSS, no build step. Everything lives in a shadow root,
 * so the page's styles do not reach the widget and the widget's do not reach
 * the page. Patient and staff text is only ever set as textContent.
 * The session id stays in this tab's sessionStorage (a shared computer does
 * not keep the conversation after the tab closes).
 */
(function () {
  'use strict';
  if (window.__faqbotChat) return;
  window.__faqbotChat = true;

  var CONFIG = /*FAQBOT_CONFIG*/null || { clinic: 'the clinic', consent: { en: '', es: '' } };

  var script = document.currentScript || (function () {
    var s = document.querySelectorAll('script[src*="/chat/widget.js"]');
    return s[s.length - 1];
  })();
  var origin = new URL(script ? script.src : '/chat/widget.js', location.href).origin;
  var API = origin + '/chat/v1';
  var KEY = 'faqbot-chat:' + origin;

  var T = {
    en: {
      open: 'Chat with us', title: 'Chat with ' + CONFIG.clinic, close: 'Close chat',
      intro: 'Hi! I answer common questions about Botox treatment at ' + CONFIG.clinic + '. For anything else, staff will follow up.',
      emergency: 'In an emergency, call 911.',
      label: 'Your message', placeholder: 'Type your question…', send: 'Send',
      you: 'You', bot: 'Assistant', staff: 'Clinic staff', sending: 'Sending…',
      contactTitle: 'Leave your name and mobile number and staff will text you back.',
      name: 'Your name', phone: 'Mobile number', phoneHint: 'e.g. (561) 555-0142',
      submit: 'Send my details', later: 'Not now',
      contactDone: 'Thanks, {name}. Staff will text you at {phone}, and their reply will also show here.',
      needName: 'Please enter your name.', needPhone: 'Please enter a mobile number, e.g. (561) 555-0142.',
      needConsent: 'Please tick the box so staff may text you.',
      badContact: 'Please check your name and mobile number.',
      handoff: 'A staff member has this conversation and will reply here.',
      optedOut: 'You asked us to stop. Type START to chat again.',
      limited: 'Too many messages. Please wait a minute and try again. If this is an emergency, call 911.',
      failed: 'We could not reach the clinic\u2019s chat. Please try again. If this is an emergency, call 911.',
      unread: 'New message'
    },
    es: {
      open: 'Chatee con nosotros', title: 'Chat con ' + CONFIG.clinic, close: 'Cerrar el chat',
      intro: '¡Hola! Respondo preguntas comunes sobre el tratamiento con Botox en ' + CONFIG.clinic + '. Para todo lo demás, el personal le dará seguimiento.',
      emergency: 'En una emergencia, llame al 911.',
      label: 'Su mensaje', placeholder: 'Escriba su pregunta…', send: 'Enviar',
      you: 'Usted', bot: 'Asistente', staff: 'Personal de la clínica', sending: 'Enviando…',
      contactTitle: 'Deje su nombre y número de celular y el personal le enviará un mensaje de texto.',
      name: 'Su nombre', phone: 'Número de celular', phoneHint: 'p. ej. (561) 555-0142',
      submit: 'Enviar mis datos', later: 'Ahora no',
      contactDone: 'Gracias, {name}. El personal le escribirá al {phone}, y su respuesta también aparecerá aquí.',
      needName: 'Escriba su nombre.', needPhone: 'Escriba un número de celular, p. ej. (561) 555-0142.',
      needConsent: 'Marque la casilla para que el personal pueda escribirle.',
      badContact: 'Revise su nombre y número de celular.',
      handoff: 'Un miembro del personal tiene esta conversación y le responderá aquí.',
      optedOut: 'Nos pidió parar. Escriba START para volver a chatear.',
      limited: 'Demasiados mensajes. Espere un minuto e intente de nuevo. Si es una emergencia, llame al 911.',
      failed: 'No pudimos conectar con el chat de la clínica. Intente de nuevo. Si es una emergencia, llame al 911.',
      unread: 'Mensaje nuevo'
    }
  };

  var saved = {};
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || '{}') || {}; } catch (e) { saved = {}; }
  var state = {
    session: saved.session || '',
    lang: saved.lang || (/^es\b/i.test(navigator.language || '') ? 'es' : 'en'),
    contact: !!saved.contact,
    lastId: 0,
    seen: {},
    loaded: false,
    stream: null,
    busy: false,
    retry: null // {text, id} of a message that did not reach the server
  };
  function save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ session: state.session, lang: state.lang, contact: state.contact }));
    } catch (e) { /* private mode: the chat still works for this page */ }
  }
  function t(k) { return T[state.lang][k]; }

  var CSS = [
    ':host{all:initial}',
    '*{box-sizing:border-box}',
    '.w{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1b1b;-webkit-text-size-adjust:100%}',
    'button,input,textarea{font:inherit;color:inherit;margin:0;text-transform:none;letter-spacing:normal}',
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;min-height:52px;padding:0 20px;border:0;border-radius:26px;background:#0b5394;color:#fff;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}',
    '.launcher:hover{background:#08406f}',
    '.launcher svg{width:22px;height:22px;fill:currentColor}',
    '.dot{display:none;width:10px;height:10px;border-radius:50%;background:#ffd43b;border:2px solid #fff}',
    '.launcher.unread .dot{display:inline-block}',
    ':focus-visible{outline:3px solid #1a73e8;outline-offset:2px}',
    '.panel{position:fixed;right:20px;bottom:86px;z-index:2147483001;width:380px;max-width:calc(100vw - 40px);height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;border:1px solid #c9d1db;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}',
    '.panel[hidden],[hidden]{display:none!important}',
    'header{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 16px;background:#0b5394;color:#fff}',
    'h2{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3}',
    '.close{width:44px;height:44px;border:0;border-radius:22px;background:transparent;color:#fff;font-size:26px;line-height:1;cursor:pointer}',
    '.close:hover{background:rgba(255,255,255,.15)}',
    '.notice{margin:0;padding:6px 16px;background:#fff4e5;color:#5c3300;font-size:13px;border-bottom:1px solid #f0d9b5}',
    '.log{flex:1;overflow-y:auto;margin:0;padding:12px 12px 4px;list-style:none;background:#fafbfc}',
    '.msg{display:flex;flex-direction:column;margin:0 0 10px;max-width:85%}',
    '.msg .who{font-size:12px;color:#4a5563;margin:0 4px 2px}',
    '.msg .b{padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.m-patient{margin-left:auto;align-items:flex-end}',
    '.m-patient .b{background:#0b5394;color:#fff;border-bottom-right-radius:4px}',
    '.m-bot .b{background:#eef1f5;color:#1b1b1b;border-bottom-left-radius:4px}',
    '.m-staff .b{background:#e3f1e6;color:#10331a;border:1px solid #b7dcc0;border-bottom-left-radius:4px}',
    '.m-note{max-width:100%;align-items:center}',
    '.m-note .b{background:transparent;color:#4a5563;font-size:13px;text-align:center;padding:2px 8px}',
    '.m-patient.pending .b{opacity:.7}',
    '.contact{margin:0;padding:12px 16px;border-top:1px solid #dfe3e8;background:#fff;display:grid;gap:6px;max-height:55%;overflow-y:auto}',
    '.contact p{margin:0}',
    '.contact label{font-size:13px;font-weight:600;color:#2b3440}',
    '.contact input[type=text],.contact input[type=tel]{width:100%;min-height:44px;padding:8px 10px;border:1px solid #8a96a3;border-radius:8px;background:#fff}',
    '.consent{display:flex;gap:8px;align-items:flex-start;font-weight:400!important}',
    '.consent input{width:20px;height:20px;margin-top:2px;flex:none}',
    '.err{color:#a4000f;font-size:13px;min-height:0}',
    '.row{display:flex;gap:8px;justify-content:flex-end}',
    '.btn{min-height:44px;padding:0 16px;border:1px solid #8a96a3;border-radius:8px;background:#fff;color:#1b1b1b;cursor:pointer}',
    '.primary{background:#0b5394;border-color:#0b5394;color:#fff;font-weight:600}',
    '.primary:hover{background:#08406f}',
    '.compose{display:flex;gap:8px;align-items:flex-end;margin:0;padding:10px 12px;border-top:1px solid #dfe3e8;background:#fff}',
    '.compose textarea{flex:1;height:44px;min-height:44px;max-height:120px;padding:10px 12px;border:1px solid #8a96a3;border-radius:10px;resize:none;background:#fff}',
    '.send{min-height:44px}',
    '.status{margin:0;padding:0 16px 8px;font-size:13px;color:#a4000f;background:#fff}',
    '.status:empty{display:none}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '@media (max-width:520px){',
    '.panel{inset:0;right:0;bottom:0;width:100%;max-width:none;height:100%;border:0;border-radius:0}',
    '.launcher{right:12px;bottom:12px}',
    '.w.open .launcher{display:none}',
    '}',
    '@media (prefers-reduced-motion:no-preference){.launcher{transition:background .15s}}'
  ].join('\n');

  var HTML =
    '<div class="w">' +
    '<button class="launcher" type="button" aria-expanded="false" aria-controls="panel">' +
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
    '<span class="lt"></span><span class="dot"></span></button>' +
    '<section class="panel" id="panel" role="dialog" aria-labelledby="title" hidden>' +
    '<header><h2 id="title"></h2><button class="close" type="button">\u00d7</button></header>' +
    '<p class="notice" id="notice"></p>' +
    '<ol class="log" id="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0"></ol>' +
    '<form class="contact" id="contact" novalidate hidden>' +
    '<p id="contact-title"></p>' +
    '<label for="name" id="name-label"></label><input type="text" id="name" autocomplete="name" maxlength="80">' +
    '<label for="phone" id="phone-label"></label><input type="tel" id="phone" autocomplete="tel" inputmode="tel" maxlength="24" aria-describedby="phone-hint">' +
    '<span class="sr" id="phone-hint"></span>' +
    '<label class="consent"><input type="checkbox" id="consent"><span id="consent-text"></span></label>' +
    '<p class="err" id="contact-error" role="alert"></p>' +
    '<div class="row"><button class="btn" type="button" id="later"></button><button class="btn primary" type="submit" id="contact-send"></button></div>' +
    '</form>' +
    '<form class="compose" id="compose" novalidate>' +
    '<label class="sr" for="text" id="text-label"></label>' +
    '<textarea id="text" rows="1" maxlength="1600" autocomplete="off"></textarea>' +
    '<button class="btn primary send" type="submit" id="send"></button>' +
    '</form>' +
    '<p class="status" id="status" role="alert"></p>' +
    '</section></div>';

  var host = document.createElement('div');
  host.id = 'faqbot-chat';
  host.setAttribute('style', 'all:initial!important;position:fixed!important;z-index:2147483000!important;right:0!important;bottom:0!important;width:0!important;height:0!important');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var st = document.createElement('style');
    st.textContent = CSS;
    root.appendChild(st);
  }
  var wrap = document.createElement('div');
  wrap.innerHTML = HTML; // static markup only
  root.appendChild(wrap.firstChild);

  function $(id) { return root.getElementById(id); }
  var w = root.querySelector('.w');
  var launcher = root.querySelector('.launcher');
  var panel = $('panel'), log = $('log'), compose = $('compose'), text = $('text'), send = $('send');
  var contact = $('contact'), status = $('status');

  function applyLang() {
    var unread = launcher.classList.contains('unread');
    root.querySelector('.lt').textContent = t('open');
    launcher.setAttribute('aria-label', t('open') + (unread ? ' (' + t('unread') + ')' : ''));
    $('title').textContent = t('title');
    root.querySelector('.close').setAttribute('aria-label', t('close'));
    $('notice').textContent = t('emergency');
    log.setAttribute('aria-label', t('title'));
    $('text-label').textContent = t('label');
    text.placeholder = t('placeholder');
    send.textContent = t('send');
    $('contact-title').textContent = t('contactTitle');
    $('name-label').textContent = t('name');
    $('phone-label').textContent = t('phone');
    $('phone').placeholder = t('phoneHint');
    $('phone-hint').textContent = t('phoneHint');
    $('consent-text').textContent = CONFIG.consent[state.lang] || '';
    $('later').textContent = t('later');
    $('contact-send').textContent = t('submit');
    w.setAttribute('lang', state.lang);
  }
  function setLang(l) {
    if ((l === 'en' || l === 'es') && l !== state.lang) {
      state.lang = l;
      save();
      applyLang();
    }
  }

  function add(from, body, id) {
    if (id) {
      if (state.seen[id]) return null;
      state.seen[id] = true;
      if (id > state.lastId) state.lastId = id;
    }
    var li = document.createElement('li');
    li.className = 'msg m-' + from;
    if (from !== 'note') {
      var who = document.createElement('span');
      who.className = 'who';
      who.textContent = t(from === 'patient' ? 'you' : from);
      li.appendChild(who);
    }
    var b = document.createElement('div');
    b.className = 'b';
    b.textContent = body;
    li.appendChild(b);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function api(method, path, body) {
    var init = { method: method, headers: {}, mode: 'cors', credentials: 'omit' };
    if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    });
  }

  function loadHistory() {
    if (state.loaded) return;
    state.loaded = true;
    add('bot', t('intro'));
    if (!state.session) return;
    api('GET', '/messages?session=' + encodeURIComponent(state.session)).then(function (r) {
      if (r.status !== 200) return;
      if (r.body.lang) setLang(r.body.lang);
      state.contact = !!r.body.contact;
      (r.body.messages || []).forEach(function (m) { add(m.from, m.text, m.id); });
      listen();
    }).catch(function () { /* the next message will tell */ });
  }

  // listen opens the event stream of staff replies (EventSource reconnects
  // by itself, sending Last-Event-ID).
  function listen() {
    if (state.stream || !state.session || !window.EventSource) return;
    var es = new EventSource(API + '/events?session=' + encodeURIComponent(state.session) + '&after=' + state.lastId);
    es.addEventListener('message', function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (add(m.from, m.text, m.id) && panel.hidden) {
        launcher.classList.add('unread');
        applyLang();
      }
    });
    state.stream = es;
  }

  function open() {
    panel.hidden = false;
    w.classList.add('open');
    launcher.setAttribute('aria-expanded', 'true');
    launcher.classList.remove('unread');
    applyLang();
    loadHistory();
    text.focus();
  }
  function close() {
    panel.hidden = true;
    w.classList.remove('open');
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }
  launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  root.querySelector('.close').addEventListener('click', close);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); close(); }
  });
  // Enter sends, Shift+Enter starts a new line. (A line break that still
  // arrives for a plain Enter, as synthetic key events can deliver, is
  // dropped too.)
  var enterSent = false;
  text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      enterSent = true;
      compose.requestSubmit ? compose.requestSubmit() : submit(e);
    }
  });
  text.addEventListener('beforeinput', function (e) {
    if (enterSent && (e.inputType === 'insertLineBreak' || e.inputType === 'insertParagraph')) e.preventDefault();
  });
  text.addEventListener('keyup', function (e) { if (e.key === 'Enter') enterSent = false; });
  text.addEventListener('input', function () {
    text.style.height = '';
    if (text.scrollHeight > text.clientHeight) text.style.height = Math.min(text.scrollHeight + 2, 120) + 'px';
  });

  function newId() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  function submit(e) {
    e.preventDefault();
    var body = text.value.trim();
    if (!body || state.busy) return;
    // A retry of a message that did not get through keeps its id, so the
    // server stores it once.
    var id = state.retry && state.retry.text === body ? state.retry.id : newId();
    state.busy = true;
    send.disabled = true;
    status.textContent = '';
    var li = add('patient', body);
    li.classList.add('pending');
    text.value = '';
    text.style.height = '';
    var req = { text: body, client_id: id };
    if (state.session) req.session = state.session;
    api('POST', '/messages', req).then(function (r) {
      if (r.status !== 200) {
        li.remove();
        text.value = body;
        state.retry = { text: body, id: id };
        status.textContent = r.status === 429 ? t('limited') : t('failed');
        return;
      }
      state.retry = null;
      li.classList.remove('pending');
      var res = r.body;
      if (res.session && res.session !== state.session) {
        state.session = res.session;
      }
      setLang(res.lang);
      save();
      if (res.reply) add('bot', res.reply);
      else if (res.silent === 'handoff') add('note', t('handoff'));
      else if (res.silent === 'opted_out') add('note', t('optedOut'));
      if (res.ask_contact && !state.contact) showContact();
      listen();
    }).catch(function () {
      li.remove();
      text.value = body;
      state.retry = { text: body, id: id };
      status.textContent = t('failed');
    }).then(function () {
      state.busy = false;
      send.disabled = false;
      if (contact.hidden) text.focus();
    });
  }
  compose.addEventListener('submit', submit);

  function showContact() {
    contact.hidden = false;
    $('contact-error').textContent = '';
    $('name').focus();
  }
  $('later').addEventListener('click', function () {
    contact.hidden = true;
    text.focus();
  });
  contact.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('name').value.trim(), phone = $('phone').value.trim(), err = $('contact-error');
    var digits = phone.replace(/\D/g, '');
    if (!name) { err.textContent = t('needName'); $('name').focus(); return; }
    if (digits.length < 10) { err.textContent = t('needPhone'); $('phone').focus(); return; }
    if (!$('consent').checked) { err.textContent = t('needConsent'); $('consent').focus(); return; }
    err.textContent = '';
    $('contact-send').disabled = true;
    api('POST', '/contact', { session: state.session, name: name, phone: phone, consent: true, lang: state.lang }).then(function (r) {
      if (r.status === 422) { err.textContent = t('badContact'); return; }
      if (r.status !== 200) { err.textContent = r.status === 429 ? t('limited') : t('failed'); return; }
      state.contact = true;
      save();
      contact.hidden = true;
      add('note', t('contactDone').replace('{name}', r.body.name).replace('{phone}', r.body.phone));
      text.focus();
    }).catch(function () {
      err.textContent = t('failed');
    }).then(function () {
      $('contact-send').disabled = false;
    });
  });

  applyLang();
  function mount() {
    document.body.appendChild(host);
    // A conversation already under way in this tab: listen for staff
    // replies even while the panel is closed (the button shows a dot).
    if (state.session) loadHistory();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
