/* The SCORM 1.2 run-time side of an exported course: grades each knowledge check in the page
 * and reports cmi.core.lesson_status, cmi.core.score.raw and cmi.suspend_data to the LMS.
 * Grading mirrors courses/questions.py (tests compare the two on the same answers). */
(function () {
  "use strict";

  var KEY = JSON.parse(document.getElementById("lms-answer-key").textContent);
  var NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
  var THOUSANDS = /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
  var DECIMAL_COMMA = /^[-+]?\d*,\d+$/;
  var MINUS = /[\u2212\u2013\u2012]/g;

  function findAPI(win) {
    for (var depth = 0; win && depth < 10; depth += 1) {
      if (win.API) { return win.API; }
      if (win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = findAPI(window) || (window.opener && findAPI(window.opener));

  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charAt(i);
      out += Object.prototype.hasOwnProperty.call(KEY.fold, c) ? KEY.fold[c] : c;
    }
    return out;
  }

  /* courses.questions.normalise_text: NFKC, case folded, runs of space to one, no final full stop. */
  function normaliseText(text) {
    var folded = fold(text.normalize("NFKC")).normalize("NFKC").toUpperCase().toLowerCase();
    folded = fold(folded).replace(/\s+/g, " ").trim();
    return folded.slice(-1) === "." ? folded.slice(0, -1).trim() : folded;
  }

  function parseNumber(answer) {
    var text = answer.normalize("NFKC").replace(/\s+/g, "").replace(MINUS, "-").replace(/./g, function (c) {
      return Object.prototype.hasOwnProperty.call(KEY.digits, c) ? KEY.digits[c] : c;
    });
    if (text.length > 100) { return null; }
    if (THOUSANDS.test(text)) { text = text.replace(/,/g, ""); }
    else if (DECIMAL_COMMA.test(text)) { text = text.replace(",", "."); }
    if (!NUMBER.test(text)) { return null; }
    var value = parseFloat(text);
    return isFinite(value) ? value : null;
  }

  function accepts(range, number) {
    var slack = 1e-9 * Math.max(1, Math.abs(range.low), Math.abs(range.high));
    return range.low - slack <= number && number <= range.high + slack;
  }

  /* One answer's result: {earned, possible, correct, answered, feedback: [html]}. */
  function score(q, answer) {
    var possible = q.points;
    var none = {earned: 0, possible: possible, correct: false, answered: false, feedback: []};
    var chosen = [];
    if (q.type === "single" || q.type === "truefalse" || q.type === "multiple") {
      var picked = [].concat(answer || []);
      q.choices.forEach(function (c) { if (picked.indexOf(c.key) >= 0) { chosen.push(c); } });
      var feedback = chosen.filter(function (c) { return c.feedback_html; }).map(function (c) { return c.feedback_html; });
      if (!chosen.length) { return none; }
      if (q.type !== "multiple") {
        if (chosen.length !== 1) { return none; }
        var right = chosen[0].correct;
        return {earned: right ? possible : 0, possible: possible, correct: right, answered: true, feedback: feedback};
      }
      var good = q.choices.filter(function (c) { return c.correct; });
      var bad = q.choices.filter(function (c) { return !c.correct; });
      var earned = good.length ? chosen.filter(function (c) { return c.correct; }).length / good.length : 0;
      var lost = bad.length ? chosen.filter(function (c) { return !c.correct; }).length / bad.length : 0;
      var exact = chosen.length === good.length && chosen.every(function (c) { return c.correct; });
      var fraction = Math.max(0, earned - lost);
      return {earned: Math.round(possible * fraction * 1e6) / 1e6, possible: possible, correct: exact,
              answered: true, feedback: feedback};
    }
    if (typeof answer !== "string" || !answer.trim()) { return none; }
    if (q.type === "short") {
      var ok = q.accepted.indexOf(normaliseText(answer)) >= 0;
      return {earned: ok ? possible : 0, possible: possible, correct: ok, answered: true, feedback: []};
    }
    if (q.type === "numeric") {
      var number = parseNumber(answer);
      var hit = number !== null && q.numeric.some(function (r) { return accepts(r, number); });
      return {earned: hit ? possible : 0, possible: possible, correct: hit, answered: number !== null, feedback: []};
    }
    return none;
  }

  var state = {checks: {}, draws: {}};  // checks: {lesson key: {best, passed}}; draws: {lesson key: [question ids]}

  function shuffled(items) {
    var copy = items.slice();
    for (var i = copy.length - 1; i > 0; i -= 1) {
      var j = Math.floor(Math.random() * (i + 1));
      var swap = copy[i]; copy[i] = copy[j]; copy[j] = swap;
    }
    return copy;
  }

  /* The questions this learner answers in a lesson that draws from a pool (kept for their next visit). */
  function drawn(lesson) {
    if (!lesson.draw) { return lesson.questions.map(function (q) { return q.id; }); }
    if (state.draws[lesson.key]) { return state.draws[lesson.key]; }
    var groups = {};
    lesson.questions.forEach(function (q) {
      var group = lesson.draw.per_outcome ? q.outcome : "";
      (groups[group] = groups[group] || []).push(q.id);
    });
    var picked = [];
    Object.keys(groups).forEach(function (group) {
      picked = picked.concat(shuffled(groups[group]).slice(0, lesson.draw.per_outcome || lesson.draw.count));
    });
    state.draws[lesson.key] = picked;
    return picked;
  }

  function lessonOf(form) {
    return KEY.lessons.filter(function (l) { return l.key === form.dataset.lesson; })[0];
  }

  /* Show only the drawn questions, numbered 1, 2, 3 as the learner sees them. */
  function showDrawn(form) {
    var ids = drawn(lessonOf(form));
    var number = 0;
    Array.prototype.forEach.call(form.querySelectorAll("[data-question]"), function (box) {
      box.hidden = ids.indexOf(box.dataset.question) < 0;
      if (!box.hidden) {
        number += 1;
        Array.prototype.forEach.call(box.querySelectorAll(".app-question-number"), function (label) {
          label.textContent = "Question " + number;
        });
      }
    });
  }

  function call(name, a, b) {
    if (!api) { return ""; }
    return b === undefined ? api[name](a) : api[name](a, b);
  }

  function report() {
    var lessons = KEY.lessons.filter(function (l) { return l.required; });
    var earned = 0;
    var possible = 0;
    var done = true;
    lessons.forEach(function (l) {
      var ids = drawn(l);
      var total = l.questions.reduce(function (sum, q) { return sum + (ids.indexOf(q.id) >= 0 ? q.points : 0); }, 0);
      var check = state.checks[l.key];
      possible += total;
      earned += check ? check.best * total / 100 : 0;
      if (!check || !check.passed) { done = false; }
    });
    var percent = possible ? Math.round(100 * earned / possible) : 100;
    var status = done ? "completed" : "incomplete";
    call("LMSSetValue", "cmi.core.score.min", "0");
    call("LMSSetValue", "cmi.core.score.max", "100");
    call("LMSSetValue", "cmi.core.score.raw", String(percent));
    call("LMSSetValue", "cmi.core.lesson_status", status);
    call("LMSSetValue", "cmi.suspend_data", JSON.stringify(state));
    call("LMSCommit", "");
    var text = document.getElementById("lms-status-text");
    text.textContent = done ? "Course complete. Your score: " + percent + "%."
      : "Your score so far: " + percent + "%. Pass every knowledge check to complete this course.";
  }

  function answerOf(form, name, type) {
    if (type === "short" || type === "numeric") {
      return form.elements[name].value;
    }
    var inputs = form.querySelectorAll("input[name='" + name.replace(/'/g, "\\'") + "']");
    return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
  }

  function grade(form) {
    var lesson = lessonOf(form);
    var ids = drawn(lesson);
    var earned = 0;
    var possible = 0;
    lesson.questions.filter(function (q) { return ids.indexOf(q.id) >= 0; }).forEach(function (q) {
      var result = score(q, answerOf(form, lesson.key + "--" + q.id, q.type));
      earned += result.earned;
      possible += result.possible;
      var box = form.querySelector("[data-question='" + q.id + "'] .lms-question-result");
      var html = "<p><strong>" + (result.correct ? "Correct" : result.earned > 0 ? "Partly correct" : "Not correct") + "</strong></p>";
      result.feedback.forEach(function (f) { html += f; });
      html += q.explanation_html;
      box.innerHTML = html;  // the course's own sanitised HTML, compiled with the package
      box.className = "lms-question-result nhsuk-inset-text";
      box.hidden = false;
    });
    var percent = possible ? 100 * earned / possible : 0;
    var passed = percent >= lesson.pass_mark;
    var previous = state.checks[lesson.key];
    state.checks[lesson.key] = {
      best: previous ? Math.max(previous.best, percent) : percent,
      passed: Boolean(passed || (previous && previous.passed))
    };
    form.querySelector(".lms-quiz-result").innerHTML = "<p><strong>You scored " + Math.round(percent) + "%. " +
      (passed ? "You passed this knowledge check." : "The pass mark is " + lesson.pass_mark + "%: try again.") + "</strong></p>";
    report();
  }

  window.LMSScorm = {score: score, normaliseText: normaliseText, parseNumber: parseNumber};

  if (api) {
    call("LMSInitialize", "");
    try { state = JSON.parse(call("LMSGetValue", "cmi.suspend_data") || "") || state; } catch (e) { /* a new learner */ }
    if (!state.checks) { state = {checks: {}, draws: {}}; }
    if (!state.draws) { state.draws = {}; }
    if (call("LMSGetValue", "cmi.core.lesson_status") === "not attempted") {
      call("LMSSetValue", "cmi.core.lesson_status", "incomplete");
    }
    var started = Date.now();
    window.addEventListener("pagehide", function () {
      var seconds = Math.round((Date.now() - started) / 1000);
      var hms = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60]
        .map(function (n, i) { return (i === 0 ? String(n).padStart(4, "0") : String(n).padStart(2, "0")); });
      call("LMSSetValue", "cmi.core.session_time", hms.join(":"));
      call("LMSFinish", "");
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.lms-quiz"), function (form) {
    showDrawn(form);
    form.addEventListener("submit", function (event) { event.preventDefault(); grade(form); });
  });
  if (api && Object.keys(state.draws).length) { call("LMSSetValue", "cmi.suspend_data", JSON.stringify(state)); }
  var finish = document.getElementById("lms-finish");
  if (finish) { finish.addEventListener("click", report); }
  if (api && Object.keys(state.checks).length) { report(); }
}());
