// The caller screen: the script's branching (a choice leads to a question or ends the script)
// and the fields that only matter for one result (call-back time, support level).
(function () {
  "use strict";

  function checkedValue(container) {
    var input = container.querySelector("input[type=radio]:checked");
    return input ? input.value : "";
  }

  function branchScript() {
    var questions = Array.prototype.slice.call(document.querySelectorAll(".script-question"));
    if (!questions.length) return;
    var byId = {};
    questions.forEach(function (q) { byId[q.dataset.question] = q; });
    var shown = new Set();
    var ended = false;
    var index = 0;
    var guard = 0;
    while (index < questions.length && guard++ < 200) {
      var question = questions[index];
      shown.add(question);
      var value = checkedValue(question);
      var branches = JSON.parse(question.dataset.branches || "{}");
      var branch = branches[value];
      if (!value || !branch) {
        // Unanswered (or free text): show it, and go on to the next by position when answered.
        if (!value && Object.keys(branches).length) break;
        index += 1;
        continue;
      }
      if (branch.ends) { ended = true; break; }
      if (branch.next && byId[branch.next]) {
        index = questions.indexOf(byId[branch.next]);
      } else {
        index += 1;
      }
    }
    questions.forEach(function (q) { q.hidden = !shown.has(q); });
    var end = document.querySelector(".script-end");
    if (end) end.hidden = !ended;
  }

  function resultFields() {
    var codes = document.querySelector(".result-codes");
    if (!codes) return;
    var result = checkedValue(codes);
    document.querySelectorAll("[data-show-for]").forEach(function (element) {
      var show = element.dataset.showFor === result || element.classList.contains("has-error");
      element.hidden = !show;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("call-form");
    if (!form) return;
    form.addEventListener("change", function () { branchScript(); resultFields(); });
    branchScript();
    resultFields();
  });
})();
