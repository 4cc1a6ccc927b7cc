// bpmnlint with the project's rules (what deploy refuses, caught while editing) and a few of bpmnlint's own.
import endEventRequired from "bpmnlint/rules/end-event-required";
import fakeJoin from "bpmnlint/rules/fake-join";
import labelRequired from "bpmnlint/rules/label-required";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import startEventRequired from "bpmnlint/rules/start-event-required";

var BUILT_IN = {
  "end-event-required": endEventRequired,
  "fake-join": fakeJoin,
  "label-required": labelRequired,
  "no-disconnected": noDisconnected,
  "no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "start-event-required": startEventRequired
};

function is(node, type) {
  return Boolean(node && node.$instanceOf && node.$instanceOf(type));
}

function properties(node) {
  var values = (node.extensionElements && node.extensionElements.values) || [];
  var found = {};
  values.forEach(function (value) {
    if (value.$type === "spiffworkflow:properties") {
      (value.properties || []).forEach(function (p) { found[p.name] = p.value; });
    }
  });
  return found;
}

function projectRules(config) {
  var t = config.texts;
  var formKeys = config.formKeys.map(function (f) { return f.value; });
  var lanes = config.lanes.map(function (l) { return l.value; });
  var stages = config.stages.map(function (s) { return s.value; });
  function rule(check) {
    return function () { return { check: check }; };
  }
  return {
    "form-key": rule(function (node, reporter) {
      if (is(node, "bpmn:UserTask")) {
        var key = properties(node).formKey;
        if (!key) {
          reporter.report(node.id, t.lintNoFormKey);
        } else if (formKeys.indexOf(key) < 0) {
          reporter.report(node.id, t.lintUnknownFormKey.replace("%s", key));
        }
      }
    }),
    "stage": rule(function (node, reporter) {
      if (is(node, "bpmn:UserTask") && stages.indexOf(properties(node).stage || "") < 0) {
        reporter.report(node.id, t.lintNoStage);
      }
    }),
    "lane-role": rule(function (node, reporter) {
      if (is(node, "bpmn:Lane") && lanes.indexOf(node.name || "") < 0) {
        reporter.report(node.id, t.lintLaneRole.replace("%s", node.name || ""));
      }
    }),
    "no-reserved-id": rule(function (node, reporter) {
      if (node.id === "Start" || node.id === "End" || /\.EndJoin$/.test(node.id || "")) {
        reporter.report(node.id, t.lintReservedId.replace("%s", node.id));
      }
    }),
    "collection-declared": rule(function (node, reporter) {
      var loop = node.loopCharacteristics;
      if (is(node, "bpmn:Activity") && loop && is(loop, "bpmn:MultiInstanceLoopCharacteristics") &&
          !loop.loopCardinality && !loop.loopDataInputRef) {
        reporter.report(node.id, t.lintCollection);
      }
    })
  };
}

export function linterConfig(config) {
  var ours = projectRules(config);
  var rules = {
    "tss/form-key": "error",
    "tss/stage": "error",
    "tss/lane-role": "error",
    "tss/no-reserved-id": "error",
    "tss/collection-declared": "error"
  };
  Object.keys(BUILT_IN).forEach(function (name) { rules[name] = name === "label-required" ? "warn" : "error"; });
  return {
    config: { rules: rules },
    resolver: {
      resolveRule: function (pkg, ruleName) {
        if (pkg === "bpmnlint") {
          return BUILT_IN[ruleName];
        }
        if (pkg === "bpmnlint-plugin-tss") {
          return ours[ruleName];
        }
        return null;
      },
      resolveConfig: function () { return null; }
    }
  };
}
