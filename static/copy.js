// Copy buttons (templates/feeds/index.html): a button with data-copy="<id of a field>" copies the
// field's value and says so (data-done, "Kopierad") in the element data-status names, a role=status
// line that screen readers announce.
// Without this file the buttons stay hidden and the address can be selected and copied by hand.
(function () {
  "use strict";
  function copied(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    // Plain http (an intranet address): the older way, from a selection.
    field.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.status);
    if (!field || !status) { return; }
    var timer;
    function say(text) {
      // Emptied first, so that a second click is announced again.
      status.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(function () {
        status.textContent = text;
        timer = setTimeout(function () { status.textContent = ""; }, 5000);
      }, 50);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copied(field).then(function () {
        say(button.dataset.done);
      }, function () {
        field.select();
        say(button.dataset.failed);
      });
    });
  });
})();
