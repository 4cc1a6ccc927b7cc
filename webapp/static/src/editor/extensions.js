// Reading and writing the SpiffWorkflow extension elements the engine reads, through the modeler's command
// stack (so every change can be undone and marks the diagram as changed).
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

export function extensionOf(element, type) {
  var bo = getBusinessObject(element);
  var values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.filter(function (value) { return is(value, type); })[0];
}

function ensureExtensionElements(element, services) {
  var bo = getBusinessObject(element);
  if (!bo.extensionElements) {
    var extensionElements = services.bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    services.modeling.updateModdleProperties(element, bo, { extensionElements: extensionElements });
  }
  return bo.extensionElements;
}

function addExtension(element, services, type, attrs) {
  var extensionElements = ensureExtensionElements(element, services);
  var created = services.bpmnFactory.create(type, attrs || {});
  created.$parent = extensionElements;
  services.modeling.updateModdleProperties(element, extensionElements, {
    values: extensionElements.values.concat([created])
  });
  return created;
}

function removeExtension(element, services, value) {
  var extensionElements = getBusinessObject(element).extensionElements;
  services.modeling.updateModdleProperties(element, extensionElements, {
    values: extensionElements.values.filter(function (v) { return v !== value; })
  });
}

// spiffworkflow:properties/spiffworkflow:property name="..." value="..."
export function getProperty(element, name) {
  var properties = extensionOf(element, "spiffworkflow:properties");
  var found = ((properties && properties.properties) || []).filter(function (p) { return p.name === name; })[0];
  return found ? found.value || "" : "";
}

export function setProperty(element, services, name, value) {
  services.commandStack.execute("tss.batch", {
    run: function () {
      var properties = extensionOf(element, "spiffworkflow:properties") ||
        addExtension(element, services, "spiffworkflow:properties", { properties: [] });
      var list = properties.properties || [];
      var found = list.filter(function (p) { return p.name === name; })[0];
      if (!value) {
        if (found) {
          services.modeling.updateModdleProperties(element, properties, {
            properties: list.filter(function (p) { return p !== found; })
          });
        }
        return;
      }
      if (found) {
        services.modeling.updateModdleProperties(element, found, { value: value });
      } else {
        var created = services.bpmnFactory.create("spiffworkflow:property", { name: name, value: value });
        created.$parent = properties;
        services.modeling.updateModdleProperties(element, properties, { properties: list.concat([created]) });
      }
    }
  });
}

// An extension element with a text body: spiffworkflow:instructionsForEndUser, preScript, postScript...
export function getBody(element, type) {
  var value = extensionOf(element, type);
  return value ? value.value || "" : "";
}

export function setBody(element, services, type, text) {
  services.commandStack.execute("tss.batch", {
    run: function () {
      var value = extensionOf(element, type);
      if (!text) {
        if (value) {
          removeExtension(element, services, value);
        }
      } else if (value) {
        services.modeling.updateModdleProperties(element, value, { value: text });
      } else {
        addExtension(element, services, type, { value: text });
      }
    }
  });
}

// A compound command: what `run` executes through the modeling service becomes one undo step.
export function BatchHandler() {}
BatchHandler.prototype.preExecute = function (context) {
  context.run();
};
BatchHandler.prototype.execute = function () { return []; };
BatchHandler.prototype.revert = function () { return []; };

function BatchRegistration(commandStack) {
  commandStack.registerHandler("tss.batch", BatchHandler);
}
BatchRegistration.$inject = ["commandStack"];

export var batchModule = {
  __init__: ["tssBatch"],
  tssBatch: ["type", BatchRegistration]
};
