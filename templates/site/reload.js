// hscourse serve only (never in a built site): reload the page when the preview has rebuilt.
// The server stamps the version it served into this script's data-version.
(function () {
  var served = document.currentScript && document.currentScript.dataset.version;
  function poll() {
    fetch("/__hscourse/version", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (String(state.version) !== served) { location.reload(); return; }
        setTimeout(poll, 500);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
