// The case page's process diagram: bpmn-js NavigatedViewer with completed and active elements marked.
(function () {
  "use strict";
  var container = document.getElementById("case-diagram");
  var status = document.getElementById("case-diagram-status");
  if (!container) {
    return;
  }
  var lang = document.documentElement.lang === "en" ? "en" : "ja";
  var texts = {
    ja: {
      missing: "図の表示部品（bpmn-js）が読み込めません。サーバーで npm install を実行してください。",
      failed: "プロセス図を表示できませんでした。画面を再読み込みしてください。",
      shown: "完了した要素は緑、進行中の要素はオレンジで示しています。"
    },
    en: {
      missing: "The diagram viewer (bpmn-js) could not be loaded. Run npm install on the server.",
      failed: "The process diagram could not be shown. Reload the page.",
      shown: "Completed elements are green; elements in progress are orange."
    }
  }[lang];

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function mark(viewer, ids, marker) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    ids.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  if (typeof window.BpmnJS !== "function") {
    say(texts.missing);
    return;
  }
  var viewer = new window.BpmnJS({ container: container });
  fetch(container.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (data) {
      return viewer.importXML(data.xml).then(function () {
        viewer.get("canvas").zoom("fit-viewport");
        mark(viewer, data.completed, "is-completed");
        mark(viewer, data.active, "is-active");
        container.dataset.ready = "true";
        say(texts.shown);
      });
    })
    .catch(function (error) {
      say(texts.failed + " (" + error.message + ")");
    });
})();
