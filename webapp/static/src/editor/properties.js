// The properties the engine reads, edited in the panel: a group of our own next to bpmn-js's General,
// Documentation, Multi-instance and Timer groups. Labels come from the page (Flask-Babel).
import { Group, SelectEntry, TextAreaEntry, TextFieldEntry } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

import { getBody, getProperty, setBody, setProperty } from "./extensions";

function services(injector) {
  return {
    bpmnFactory: injector.get("bpmnFactory"),
    commandStack: injector.get("commandStack"),
    modeling: injector.get("modeling")
  };
}

function options(values, texts) {
  return [{ value: "", label: texts.none }].concat(values.map(function (v) {
    return { value: v.value, label: v.label };
  }));
}

function selectEntry(element, injector, id, label, values, getValue, setValue, description) {
  var texts = injector.get("config.tss").texts;
  return {
    id: id,
    element: element,
    component: function (props) {
      return h(SelectEntry, {
        element: props.element, id: id, label: label, description: description,
        getValue: getValue, setValue: setValue,
        getOptions: function () { return options(values, texts); }
      });
    },
    isEdited: function () { return Boolean(getValue()); }
  };
}

function textEntry(element, id, label, getValue, setValue, multiline) {
  return {
    id: id,
    element: element,
    component: function (props) {
      var debounce = useService("debounceInput");
      return h(multiline ? TextAreaEntry : TextFieldEntry, {
        element: props.element, id: id, label: label, debounce: debounce, monospace: multiline,
        rows: multiline ? 4 : undefined, getValue: getValue, setValue: setValue
      });
    },
    isEdited: function () { return Boolean(getValue()); }
  };
}

function propertyEntry(element, injector, name, label, values) {
  var svc = services(injector);
  return selectEntry(element, injector, "tss-" + name, label, values,
    function () { return getProperty(element, name); },
    function (value) { setProperty(element, svc, name, value); });
}

function bodyEntry(element, injector, type, label) {
  var svc = services(injector);
  return textEntry(element, "tss-" + type.split(":")[1], label,
    function () { return getBody(element, type); },
    function (value) { setBody(element, svc, type, value); }, true);
}

function userTaskEntries(element, injector, config) {
  var t = config.texts;
  return [
    propertyEntry(element, injector, "formKey", t.formKey, config.formKeys),
    propertyEntry(element, injector, "stage", t.stage, config.stages),
    propertyEntry(element, injector, "decides", t.decides, config.decisions),
    bodyEntry(element, injector, "spiffworkflow:instructionsForEndUser", t.instructions),
    bodyEntry(element, injector, "spiffworkflow:preScript", t.preScript),
    bodyEntry(element, injector, "spiffworkflow:postScript", t.postScript)
  ];
}

function scriptEntry(element, injector, config) {
  var modeling = injector.get("modeling");
  var bo = getBusinessObject(element);
  return textEntry(element, "tss-script", config.texts.script,
    function () { return bo.get("script") || ""; },
    function (value) { modeling.updateProperties(element, { scriptFormat: "python", script: value || undefined }); },
    true);
}

function conditionEntry(element, injector, config) {
  var modeling = injector.get("modeling");
  var bpmnFactory = injector.get("bpmnFactory");
  var bo = getBusinessObject(element);
  return textEntry(element, "tss-condition", config.texts.condition,
    function () { var c = bo.get("conditionExpression"); return c ? c.get("body") || "" : ""; },
    function (value) {
      var expression = value ? bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    }, true);
}

function decisionEntry(element, injector, config) {
  var svc = services(injector);
  return selectEntry(element, injector, "tss-calledDecisionId", config.texts.decision, config.decisionTables,
    function () { return getBody(element, "spiffworkflow:calledDecisionId"); },
    function (value) { setBody(element, svc, "spiffworkflow:calledDecisionId", value); });
}

function laneEntry(element, injector, config) {
  var modeling = injector.get("modeling");
  var bo = getBusinessObject(element);
  var role = config.lanes.filter(function (l) { return l.value === bo.get("name"); })[0];
  return selectEntry(element, injector, "tss-lane-role", config.texts.laneRole, config.lanes,
    function () { return bo.get("name") || ""; },
    function (value) { modeling.updateProperties(element, { name: value }); },
    role ? role.role : config.texts.laneUnmapped);
}

// The collection a multi-instance runs over: loopDataInputRef / loopDataOutputRef refer to a process property
// with that id (what bpmn-js keeps on save and SpiffWorkflow reads as the task data's name).
function processOf(element) {
  var bo = getBusinessObject(element);
  var parent = bo.$parent;
  while (parent && !is(parent, "bpmn:Process")) {
    parent = parent.$parent;
  }
  return parent;
}

function collectionEntries(element, injector, config) {
  var loop = getBusinessObject(element).get("loopCharacteristics");
  if (!loop || !is(loop, "bpmn:MultiInstanceLoopCharacteristics")) {
    return [];
  }
  var modeling = injector.get("modeling");
  var bpmnFactory = injector.get("bpmnFactory");
  var t = config.texts;

  function reference(refName, value) {
    var process = processOf(element);
    if (!value) {
      modeling.updateModdleProperties(element, loop, { [refName]: undefined });
      return;
    }
    var declared = (process.get("properties") || []).filter(function (p) { return p.id === value; })[0];
    if (!declared) {
      declared = bpmnFactory.create("bpmn:Property", { id: value, name: value });
      declared.$parent = process;
      modeling.updateModdleProperties(element, process, { properties: (process.get("properties") || []).concat([declared]) });
    }
    modeling.updateModdleProperties(element, loop, { [refName]: declared });
  }

  function item(itemName, type, value) {
    var made = value ? bpmnFactory.create(type, { id: value, name: value }) : undefined;
    modeling.updateModdleProperties(element, loop, { [itemName]: made });
  }

  function refValue(refName) {
    var ref = loop.get(refName);
    return ref ? ref.id || "" : "";
  }

  function itemValue(itemName) {
    var value = loop.get(itemName);
    return value ? value.name || value.id || "" : "";
  }

  return [
    textEntry(element, "tss-loop-input", t.collection, function () { return refValue("loopDataInputRef"); },
      function (v) { reference("loopDataInputRef", v); }),
    textEntry(element, "tss-loop-input-item", t.collectionItem, function () { return itemValue("inputDataItem"); },
      function (v) { item("inputDataItem", "bpmn:DataInput", v); }),
    textEntry(element, "tss-loop-output", t.outputCollection, function () { return refValue("loopDataOutputRef"); },
      function (v) { reference("loopDataOutputRef", v); }),
    textEntry(element, "tss-loop-output-item", t.outputItem, function () { return itemValue("outputDataItem"); },
      function (v) { item("outputDataItem", "bpmn:DataOutput", v); })
  ];
}

function isConditional(element) {
  var bo = getBusinessObject(element);
  return is(element, "bpmn:SequenceFlow") && bo.sourceRef &&
    (is(bo.sourceRef, "bpmn:ExclusiveGateway") || is(bo.sourceRef, "bpmn:InclusiveGateway")) &&
    bo.sourceRef.get("default") !== bo;
}

function entriesFor(element, injector, config) {
  var entries = [];
  if (is(element, "bpmn:UserTask")) {
    entries = entries.concat(userTaskEntries(element, injector, config));
  }
  if (is(element, "bpmn:ScriptTask")) {
    entries.push(scriptEntry(element, injector, config));
  }
  if (is(element, "bpmn:BusinessRuleTask")) {
    entries.push(decisionEntry(element, injector, config));
  }
  if (isConditional(element)) {
    entries.push(conditionEntry(element, injector, config));
  }
  if (is(element, "bpmn:Lane")) {
    entries.push(laneEntry(element, injector, config));
  }
  if (is(element, "bpmn:Activity")) {
    entries = entries.concat(collectionEntries(element, injector, config));
  }
  return entries;
}

export default function TssPropertiesProvider(propertiesPanel, injector) {
  this._injector = injector;
  propertiesPanel.registerProvider(400, this);
}

TssPropertiesProvider.$inject = ["propertiesPanel", "injector"];

TssPropertiesProvider.prototype.getGroups = function (element) {
  var injector = this._injector;
  var config = injector.get("config.tss");
  return function (groups) {
    var entries = entriesFor(element, injector, config);
    if (entries.length) {
      // right after General, so what the engine reads is the first thing a designer sees
      groups.splice(1, 0, { id: "tss-engine", label: config.texts.group, component: Group, entries: entries });
    }
    return groups;
  };
};

export var propertiesModule = {
  __init__: ["tssPropertiesProvider"],
  tssPropertiesProvider: ["type", TssPropertiesProvider]
};
