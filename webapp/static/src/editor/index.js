// The designers' editor: each file of a draft in its modeler (bpmn-js with the properties panel and bpmnlint,
// dmn-js for the decision tables), saved together as the draft. Nothing here deploys: the server validates.
import BpmnModeler from "bpmn-js/lib/Modeler";
import DmnModeler from "dmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import japanese from "bpmn-js-i18n/translations/ja";

import spiffworkflow from "./spiffworkflow.json";
import { batchModule } from "./extensions";
import { linterConfig } from "./lint";
import { propertiesModule } from "./properties";

import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css";
import "dmn-js/dist/assets/diagram-js.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-js-literal-expression.css";
import "dmn-js/dist/assets/dmn-font/css/dmn.css";
import "./editor.css";

function translator(table) {
  return function (template, replacements) {
    var text = table[template] || template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return replacements && key in replacements ? replacements[key] : "{" + key + "}";
    });
  };
}

function Editor(root, config) {
  this.root = root;
  this.config = config;
  this.texts = config.texts;
  this.files = config.files; // name -> XML as loaded
  this.modelers = {};
  this.status = root.querySelector("[data-editor-status]");
  this.problems = root.querySelector("[data-editor-problems]");
  var table = config.lang === "ja" ? Object.assign({}, japanese, config.modelerTexts) : {};
  this.translateModule = { translate: ["value", translator(table)] };
}

Editor.prototype.say = function (text, kind) {
  this.status.textContent = text;
  this.status.dataset.kind = kind || "info";
};

Editor.prototype.open = function (name) {
  var self = this;
  this.root.querySelectorAll("[data-file-tab]").forEach(function (tab) {
    tab.setAttribute("aria-selected", String(tab.dataset.fileTab === name));
  });
  this.root.querySelectorAll("[data-file-pane]").forEach(function (pane) {
    pane.hidden = pane.dataset.filePane !== name;
  });
  this.current = name;
  if (this.modelers[name]) {
    return Promise.resolve(this.modelers[name]);
  }
  var pane = this.root.querySelector('[data-file-pane="' + name + '"]');
  var modeler = /\.dmn$/.test(name) ? this.dmnModeler(pane) : this.bpmnModeler(pane);
  this.modelers[name] = modeler;
  return modeler.importXML(this.files[name]).then(function (result) {
    var warnings = result.warnings || [];
    pane.dataset.importWarnings = String(warnings.length);
    if (warnings.length) {
      self.say(self.texts.importWarnings + " " + warnings.map(function (w) { return w.message; }).join(" / "), "error");
    }
    if (/\.dmn$/.test(name)) {
      // the decision table is what the engine evaluates: show it rather than the requirements diagram
      var table = modeler.getViews().filter(function (view) { return view.type === "decisionTable"; })[0];
      return (table ? modeler.open(table) : Promise.resolve()).then(function () {
        pane.dataset.ready = "true";
        return modeler;
      });
    }
    modeler.get("canvas").zoom("fit-viewport");
    pane.dataset.ready = "true";
    return modeler;
  });
};

Editor.prototype.bpmnModeler = function (pane) {
  var modeler = new BpmnModeler({
    container: pane.querySelector("[data-canvas]"),
    propertiesPanel: {
      parent: pane.querySelector("[data-properties]"),
      layout: { groups: { general: { open: true }, "tss-engine": { open: true } } }
    },
    moddleExtensions: { spiffworkflow: spiffworkflow },
    linting: { bpmnlint: linterConfig(this.config), active: true },
    tss: this.config,
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, propertiesModule, batchModule, lintModule,
      this.translateModule
    ]
  });
  var self = this;
  modeler.on("linting.completed", function (event) {
    var issues = event.issues || {};
    pane.dataset.lintIssues = JSON.stringify(issues);
    self.root.dataset.lintCount = String(Object.keys(issues).length);
  });
  return modeler;
};

Editor.prototype.dmnModeler = function (pane) {
  return new DmnModeler({
    container: pane.querySelector("[data-canvas]"),
    common: { additionalModules: [this.translateModule] }
  });
};

Editor.prototype.collect = function () {
  var self = this;
  var names = Object.keys(this.files);
  return Promise.all(names.map(function (name) {
    var modeler = self.modelers[name];
    if (!modeler) {
      return Promise.resolve(self.files[name]);
    }
    return modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  })).then(function (texts) {
    var files = {};
    names.forEach(function (name, i) { files[name] = texts[i]; });
    return files;
  });
};

Editor.prototype.save = function () {
  var self = this;
  this.say(this.texts.saving);
  return this.collect().then(function (files) {
    return fetch(self.config.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": self.config.csrf },
      body: JSON.stringify({ files: files, lock_version: self.config.lockVersion })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }).then(function (result) {
    if (!result.ok) {
      self.say(result.body.error || self.texts.saveFailed, "error");
      return;
    }
    self.config.lockVersion = result.body.lock_version;
    Object.assign(self.files, result.body.files || {});
    self.say(result.body.message, "success");
    self.showProblems(result.body.problems || []);
  }).catch(function () {
    self.say(self.texts.saveFailed, "error");
  });
};

// The server's findings (deploy validation) listed and placed on their elements.
Editor.prototype.showProblems = function (problems) {
  var self = this;
  this.problems.replaceChildren();
  (this.marked || []).forEach(function (mark) { // the previous save's findings go
    mark.modeler.get("canvas").removeMarker(mark.element, "has-problem");
    mark.modeler.get("overlays").remove({ type: "tss-problem" });
  });
  this.marked = [];
  problems.forEach(function (problem) {
    var item = document.createElement("li");
    item.textContent = problem.message;
    item.dataset.element = problem.element || "";
    self.problems.appendChild(item);
    var modeler = self.modelers[problem.file];
    if (modeler && problem.element && modeler.get) {
      var registry = modeler.get("elementRegistry");
      if (registry.get(problem.element)) {
        modeler.get("canvas").addMarker(problem.element, "has-problem");
        self.marked.push({ modeler: modeler, element: problem.element });
        var note = document.createElement("div");
        note.className = "problem-note";
        note.textContent = "!";
        note.title = problem.message;
        modeler.get("overlays").add(problem.element, "tss-problem", { position: { top: -8, left: -8 }, html: note });
      }
    }
  });
};

function start() {
  var root = document.getElementById("process-editor");
  var source = document.getElementById("editor-config");
  if (!root || !source) {
    return;
  }
  var config = JSON.parse(source.textContent);
  var editor = new Editor(root, config);
  window.tssEditor = editor; // for the browser tests
  root.querySelectorAll("[data-file-tab]").forEach(function (tab) {
    tab.addEventListener("click", function () { editor.open(tab.dataset.fileTab); });
  });
  var save = root.querySelector("[data-editor-save]");
  if (save) {
    save.addEventListener("click", function () { editor.save(); });
  }
  editor.open(config.order[0]).then(function () {
    root.dataset.ready = "true";
    editor.showProblems(config.problems || []);
  });
}

start();
