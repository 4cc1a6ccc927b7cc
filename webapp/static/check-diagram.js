// The draft check page's diagram: bpmn-js NavigatedViewer with the elements that have a deploy problem or that
// keep a running case from moving to the draft marked, and after a scenario run what the scenarios passed
// through and what they did not (data from the page's JSON, no request).
(function () {
  "use strict";
  var container = document.getElementById("check-diagram");
  var source = document.getElementById("check-diagram-data");
  if (!container || !source || typeof window.BpmnJS !== "function") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var MARKERS = { problem: "has-problem", blocker: "blocks-migration", covered: "is-covered", uncovered: "not-covered" };
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
})();
