// Self-check quiz pages only (`self_check: true`): choosing an answer says whether it is right
// and opens the answer and explanation below. Single choice and true/false react to a choice;
// multiple answer waits for "Check my answer". The page works without this script. The words
// come from the page (data-right, data-wrong), in the course's language.
(function () {
  function chosen(form) {
    return Array.prototype.map.call(form.querySelectorAll("input:checked"),
      function (input) { return input.value; }).sort().join(", ");
  }
  function judge(form) {
    var answer = chosen(form), key = form.dataset.key;
    var verdict = form.querySelector(".verdict");
    verdict.textContent = answer === key ? form.dataset.right
      : form.dataset.wrong.replace("%(key)s", form.dataset.shown);
    verdict.className = "verdict " + (answer === key ? "right" : "wrong");
    var details = form.nextElementSibling;
    if (details && details.tagName === "DETAILS") details.open = true;
  }
  Array.prototype.forEach.call(document.querySelectorAll("fieldset.choose"), function (form) {
    if (form.dataset.kind === "checkbox") {
      var button = form.querySelector("button.check");
      button.hidden = false;
      button.addEventListener("click", function () { judge(form); });
    } else {
      form.addEventListener("change", function () { judge(form); });
    }
  });
})();
