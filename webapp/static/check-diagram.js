// Diagrams with marked elements (the draft check page, the version comparison): each container
// [data-marked-diagram] names the JSON script holding its XML and marks; bpmn-js NavigatedViewer draws it.
// Marks: a deploy problem, a running case kept from moving, what the scenarios passed through (or not),
// what a version added, removed or changed.
(function () {
  "use strict";
  var MARKERS = {
    problem: "has-problem", blocker: "blocks-migration", covered: "is-covered", uncovered: "not-covered",
    added: "is-added", removed: "is-removed", changed: "is-changed"
  };
  if (document.querySelector("[data-scenarios-running]")) {
    window.setTimeout(function () { window.location.reload(); }, 5000); // until the scenarios' results are in
  }
  if (typeof window.BpmnJS !== "function") {
    return;
  }
  document.querySelectorAll("[data-marked-diagram]").forEach(function (container) {
    var source = document.getElementById(container.dataset.source);
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var viewer = new window.BpmnJS({ container: container });
    viewer.importXML(data.xml).then(function () {
      var registry = viewer.get("elementRegistry");
      var canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport");
      Object.keys(data.marks).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, MARKERS[data.marks[id]] || "blocks-migration");
        }
      });
      container.dataset.ready = "true";
    }).catch(function () {
      container.dataset.ready = "failed";
    });
  });
})();
