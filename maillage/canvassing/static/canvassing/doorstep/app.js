// The doorstep app: the turf's doors, a household, one person's form; results go to the
// IndexedDB outbox (MaillageOutbox, outbox.js) and are sent when the network allows.
// Texts come translated from the page (data-text-* attributes); people's names and the
// script's questions are inserted as text, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("doorstep");
  if (!root || !window.MaillageOutbox) return;
  var Outbox = window.MaillageOutbox;
  var turfId = parseInt(root.dataset.turf, 10);
  var texts = root.dataset;
  var state = { data: null, door: null, recorded: {}, backoff: 0, timer: null, syncing: false };

  var $ = function (id) { return document.getElementById(id); };
  var views = { doors: $("ds-doors"), household: $("ds-household"), person: $("ds-person") };
  var form = $("ds-form");
  var submit = $("ds-submit");

  function show(name) {
    Object.keys(views).forEach(function (key) { views[key].hidden = key !== name; });
    window.scrollTo(0, 0);
  }

  function fill(text, value) { return text.replace("{n}", String(value)); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : root.dataset.csrf;
  }

  // ---- status: pending count, network, download ----------------------------------------
  function refreshStatus() {
    return Outbox.count().then(function (count) {
      var line = $("ds-pending");
      line.textContent = count === 0 ? texts.textSynced : fill(count === 1 ? texts.textPendingOne : texts.textPendingMany, count);
      line.dataset.count = String(count);
      $("ds-network").textContent = navigator.onLine ? texts.textOnline : texts.textOffline;
      $("ds-network").classList.toggle("offline", !navigator.onLine);
      return Outbox.rejected();
    }).then(function (rejected) {
      var list = $("ds-rejected");
      list.replaceChildren();
      rejected.forEach(function (item) {
        list.appendChild(el("li", "", (item.name ? item.name + " : " : "") + item.reason));
      });
      $("ds-rejected-box").hidden = rejected.length === 0;
    });
  }

  function markRecorded() {
    return Outbox.recorded().then(function (rows) {
      state.recorded = {};
      rows.forEach(function (row) { if (row.turf === turfId) state.recorded[row.person] = row.result; });
    });
  }

  // ---- the turf: from the server when online, from IndexedDB otherwise ------------------
  function load() {
    return Outbox.getTurf(turfId).then(function (saved) {
      if (saved) {
        setDownloaded(saved.downloaded_at);
        if (!navigator.onLine) return saved;
      }
      return fetch(root.dataset.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok || response.redirected) throw new Error("turf " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (saved) { data.downloaded_at = new Date().toISOString(); Outbox.saveTurf(data); setDownloaded(data.downloaded_at); }
          return data;
        })
        .catch(function () {
          if (saved) return saved;
          throw new Error("no turf");
        });
    });
  }

  function setDownloaded(when) {
    var note = $("ds-downloaded");
    note.hidden = !when;
    if (when) note.textContent = fill(texts.textDownloaded, new Date(when).toLocaleString());
  }

  function download() {
    if (!state.data) return;
    var data = Object.assign({}, state.data, { downloaded_at: new Date().toISOString() });
    Outbox.saveTurf(data).then(function () {
      setDownloaded(data.downloaded_at);
      return keepPage();
    }).then(function () { root.dataset.offlineReady = "1"; });
  }

  // The service worker keeps this page (and the app shell) so the turf opens with no network.
  function keepPage() {
    if (!navigator.serviceWorker || !root.dataset.worker) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function () { resolve(); };
        registration.active.postMessage({ cache: window.location.pathname }, [channel.port2]);
        setTimeout(resolve, 10000);
      });
    });
  }

  // ---- doors ---------------------------------------------------------------------------
  function doorDone(door) {
    return door.people.every(function (person) { return person.id in state.recorded; });
  }

  function renderDoors() {
    var list = $("ds-door-list");
    list.replaceChildren();
    state.data.doors.forEach(function (door, index) {
      var item = el("li");
      var button = el("button", "ds-door" + (doorDone(door) ? " done" : ""));
      button.type = "button";
      button.appendChild(el("span", "ds-door-address", door.address));
      button.appendChild(el("span", "ds-door-count", fill(door.people.length === 1 ? texts.textPersonOne : texts.textPersonMany, door.people.length)));
      if (doorDone(door)) button.appendChild(el("span", "ds-badge", texts.textDone));
      button.addEventListener("click", function () { openDoor(index); });
      item.appendChild(button);
      list.appendChild(item);
    });
    var next = state.data.doors.findIndex(function (door) { return !doorDone(door); });
    $("ds-next-door").hidden = next < 0;
    $("ds-all-done").hidden = next >= 0;
    $("ds-door-total").textContent = fill(texts.textDoorsLeft, state.data.doors.filter(function (d) { return !doorDone(d); }).length);
  }

  function openDoor(index) {
    state.door = index;
    var door = state.data.doors[index];
    $("ds-household-address").textContent = door.address;
    var list = $("ds-people");
    list.replaceChildren();
    door.people.forEach(function (person) {
      var item = el("li");
      var button = el("button", "ds-person-button" + (person.id in state.recorded ? " done" : ""));
      button.type = "button";
      button.appendChild(el("span", "ds-person-name", person.name));
      if (person.detail) button.appendChild(el("span", "ds-person-detail", person.detail));
      if (person.id in state.recorded) button.appendChild(el("span", "ds-badge", texts.textDone));
      button.addEventListener("click", function () { openPerson(person); });
      item.appendChild(button);
      list.appendChild(item);
    });
    show("household");
  }

  // ---- one person's form ---------------------------------------------------------------
  function openPerson(person) {
    form.reset();
    form.elements.uuid.value = window.crypto.randomUUID();  // made once, when the form opens
    form.elements.person.value = String(person.id);
    form.dataset.name = person.name;
    $("ds-person-name").textContent = person.name;
    $("ds-form-error").hidden = true;
    submit.disabled = false;
    toggleTalked();
    toggleConsent();
    renderScript();
    show("person");
    form.querySelector("input[name=result]").focus();
  }

  function selectedResult() {
    var checked = form.querySelector("input[name=result]:checked");
    return checked ? checked.value : "";
  }

  function toggleTalked() {
    $("ds-talked").hidden = selectedResult() !== "talked";
  }

  function toggleConsent() {
    $("ds-email-consent").hidden = !form.elements.new_email.value.trim();
    $("ds-phone-consent").hidden = !form.elements.new_phone.value.trim();
  }

  // The script, with its branches: a choice may jump to a question or end the script.
  function renderScript() {
    var box = $("ds-script");
    box.replaceChildren();
    var script = state.data && state.data.script;
    state.answers = {};
    state.path = [];
    $("ds-script-box").hidden = !script || !script.questions || !script.questions.length;
    if (!script || !script.questions) return;
    var questions = script.questions.slice().sort(function (a, b) { return a.position - b.position; });
    var byId = {};
    questions.forEach(function (q) { byId[q.id] = q; });
    var answers = state.answers = {};
    state.path = [];
    function draw() {
      box.replaceChildren();
      var question = questions[0];
      var guard = 0;
      while (question && guard++ < questions.length) {
        box.appendChild(renderQuestion(question, answers, draw));
        var answer = answers[question.id];
        var choice = question.kind === "text" ? null : (question.choices || []).find(function (c) { return c.id === answer; });
        if (choice && choice.end) break;
        if (choice && choice.next && byId[choice.next]) { question = byId[choice.next]; continue; }
        question = questions[questions.indexOf(question) + 1];
      }
      // Answers to questions no longer on the path are not sent.
      var shown = {};
      state.path = [];
      box.querySelectorAll("[data-question]").forEach(function (node) {
        shown[node.dataset.question] = true;
        state.path.push(byId[node.dataset.question]);
      });
      Object.keys(answers).forEach(function (id) { if (!shown[id]) delete answers[id]; });
    }
    draw();
  }

  function renderQuestion(question, answers, redraw) {
    var name = "q" + question.id;
    if (question.kind === "text") {
      var wrap = el("div", "field");
      wrap.dataset.question = String(question.id);
      var label = el("label", "", question.text + (question.required ? " *" : ""));
      label.htmlFor = "ds-" + name;
      var input = el("textarea");
      input.id = "ds-" + name;
      input.rows = 2;
      input.value = answers[question.id] || "";
      input.addEventListener("change", function () { answers[question.id] = input.value; redraw(); });
      wrap.appendChild(label);
      wrap.appendChild(input);
      return wrap;
    }
    var fieldset = el("fieldset", "field ds-choices");
    fieldset.dataset.question = String(question.id);
    fieldset.appendChild(el("legend", "", question.text + (question.required ? " *" : "")));
    (question.choices || []).forEach(function (choice) {
      var label = el("label", "ds-choice");
      var radio = el("input");
      radio.type = "radio";
      radio.name = name;
      radio.value = String(choice.id);
      radio.checked = answers[question.id] === choice.id;
      radio.addEventListener("change", function () {
        answers[question.id] = choice.id;
        if (question.kind === "support" && choice.support_level) {
          var level = form.querySelector("input[name=support_level][value='" + choice.support_level + "']");
          if (level) level.checked = true;
        }
        redraw();
      });
      label.appendChild(radio);
      label.appendChild(el("span", "", choice.label));
      fieldset.appendChild(label);
    });
    return fieldset;
  }

  function formResult() {
    var f = form.elements;
    var result = selectedResult();
    var talked = result === "talked";
    var level = form.querySelector("input[name=support_level]:checked");
    var email = f.new_email.value.trim();
    var phone = f.new_phone.value.trim();
    return {
      uuid: f.uuid.value,
      person: parseInt(f.person.value, 10),
      name: form.dataset.name,
      turf: turfId,
      script: state.data.script ? state.data.script.id : null,
      result: result,
      support_level: talked && level ? parseInt(level.value, 10) : null,
      answers: talked ? Object.assign({}, state.answers || {}) : {},
      note: f.note.value,
      question: f.question.value,
      new_email: email,
      email_consent: email ? f.email_consent.checked : null,
      new_phone: phone,
      phone_consent: phone ? f.phone_consent.checked : null,
      consent_wording: email || phone ? root.dataset.consentWording : "",
      occurred_at: new Date().toISOString()
    };
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "result") toggleTalked();
  });
  form.addEventListener("input", toggleConsent);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;  // a second tap does nothing; the UUID would make it harmless anyway
    var result = formResult();
    var missing = result.result === "talked" && (state.path || []).some(function (question) {
      var answer = result.answers[question.id];
      return question.required && (answer === undefined || answer === "");
    });
    if (!result.result || missing) {
      $("ds-form-error").textContent = result.result ? texts.textRequired : texts.textNoResult;
      $("ds-form-error").hidden = false;
      submit.disabled = false;
      return;
    }
    Outbox.add(result).then(function () {
      state.recorded[result.person] = result.result;
      openDoor(state.door);
      renderDoors();
      return refreshStatus();
    }).then(function () { sync(); });
  });

  // ---- sync: batches to the server; retry with backoff; again when the network returns ---
  function schedule() {
    clearTimeout(state.timer);
    var delay = Math.min(60000, 2000 * Math.pow(2, state.backoff));
    state.backoff = Math.min(state.backoff + 1, 5);
    state.timer = setTimeout(sync, delay);
  }

  function sync() {
    if (state.syncing) return Promise.resolve();
    if (!navigator.onLine) return refreshStatus();
    state.syncing = true;
    return Outbox.pending().then(function (items) {
      if (!items.length) return null;
      var batch = items.slice(0, 50);
      return fetch(root.dataset.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ results: batch.map(function (item) {
          var copy = Object.assign({}, item);
          delete copy.name;
          return copy;
        }) })
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || response.status === 403 || type.indexOf("json") < 0) {
          $("ds-login").hidden = false;  // signed out while offline: sign in again, nothing is lost
          throw new Error("login");
        }
        if (!response.ok) throw new Error("sync " + response.status);
        $("ds-login").hidden = true;
        return response.json();
      }).then(function (body) {
        state.backoff = 0;
        var retry = body.results.some(function (answer) { return answer.status === "retry"; });
        return Outbox.settle(body.results, batch).then(function () {
          return { more: !retry && items.length > batch.length, retry: retry };
        });
      });
    }).then(function (outcome) {
      state.syncing = false;
      return markRecorded().then(function () {
        if (state.data) renderDoors();
        return refreshStatus();
      }).then(function () {
        if (outcome && outcome.retry) schedule();  // the server asked for a later try
        else if (outcome && outcome.more) return sync();
      });
    }).catch(function () {
      state.syncing = false;
      schedule();
      return refreshStatus();
    });
  }

  window.addEventListener("online", function () { state.backoff = 0; refreshStatus(); sync(); });
  window.addEventListener("offline", refreshStatus);

  // ---- navigation ------------------------------------------------------------------------
  $("ds-next-door").addEventListener("click", function () {
    var next = state.data.doors.findIndex(function (door) { return !doorDone(door); });
    if (next >= 0) openDoor(next);
  });
  $("ds-back-doors").addEventListener("click", function () { renderDoors(); show("doors"); });
  $("ds-back-household").addEventListener("click", function () { openDoor(state.door); });
  $("ds-download").addEventListener("click", download);
  $("ds-sync-now").addEventListener("click", function () { state.backoff = 0; sync(); });

  if (navigator.serviceWorker && root.dataset.worker) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: root.dataset.scope }).catch(function () {});
  }

  Promise.all([markRecorded(), load()]).then(function (results) {
    state.data = results[1];
    $("ds-loading").hidden = true;
    renderDoors();
    show("doors");
    root.dataset.ready = "1";
    return refreshStatus();
  }).then(sync).catch(function () {
    $("ds-loading").textContent = texts.textUnavailable;
  });
})();
