/* 大客户管理台: the list's filters (app.widgets.FilterWidget). A choice column is chosen
   from its labels, a boolean from 是/否, a date from date pickers (介于: two, sent as
   "start~end"); other columns use the form field the server rendered. Each row sends
   _flt_<operator index>_<column>=<value>, FAB's URL form. */
(function ($) {
    "use strict";
    var data = JSON.parse(document.getElementById("console-filter-data").textContent);
    var $form = $("#filter_form");
    var $rows = $form.find("table.filters tbody");
    var SEPARATOR = "~";

    function paramName(column, index) { return "_flt_" + index + "_" + column; }

    function select(choices, value) {
        var $s = $('<select class="form-control filter_val"/>');
        $s.append($('<option value=""/>').text("—"));
        choices.forEach(function (c) { $s.append($("<option/>").attr("value", c[0]).text(c[1])); });
        $s.val(value == null ? "" : String(value));
        return $s;
    }

    function dateInput(value) {
        return $('<input type="date" class="form-control filter_date">')
            .val(value ? String(value).slice(0, 10) : "");
    }

    // The value cell of one filter row: its inputs, and the one input the form sends.
    function valueCell(column, spec, operator, value) {
        var $cell = $('<td class="filter filter-value"/>');
        var name = paramName(column, operator);
        if (spec.kind === "choice" || spec.kind === "boolean") {
            $cell.append(select(spec.choices, value).attr("name", name));
        } else if (spec.kind === "date" && spec.operators[operator].between) {
            var parts = String(value || "").split(SEPARATOR);
            var $hidden = $('<input type="hidden" class="filter_val">').attr("name", name);
            var $from = dateInput(parts[0]).addClass("filter_from");
            var $to = dateInput(parts[1]).addClass("filter_to");
            var sync = function () { $hidden.val($from.val() || $to.val() ? $from.val() + SEPARATOR + $to.val() : ""); };
            $from.on("change input", sync);
            $to.on("change input", sync);
            sync();
            $cell.append($('<div class="filter-range"/>').append($from, $('<span> ~ </span>'), $to, $hidden));
        } else if (spec.kind === "date") {
            $cell.append(dateInput(value).addClass("filter_val").attr("name", name));
        } else {
            var $field = $(spec.field);
            var $input = $field.is("input, select, textarea") ? $field : $field.find("input, select, textarea").first();
            $input.attr("name", name).addClass("filter_val");
            if ($input.attr("type") === "checkbox") {
                $input.prop("checked", !!value);
            } else if (value != null) {
                $input.val(value);
            }
            $cell.append($field);
        }
        return $cell;
    }

    function addRow(column, operator, value) {
        var spec = data.columns[column];
        if (!spec) { return; }
        var $row = $('<tr class="console-filter"/>').attr("data-column", column);
        var $remove = $('<a href="#" class="btn remove-filter"/>')
            .append($('<span class="close-icon">&times;</span>'))
            .append(document.createTextNode("\u00a0" + spec.label));
        $remove.on("click", function () { $row.remove(); return false; });
        var $op = $('<select class="form-control filter-op"/>');
        spec.operators.forEach(function (o, i) { $op.append($("<option/>").attr("value", i).text(o.name)); });
        $op.val(String(operator));
        $op.on("change", function () {
            var old = $row.find(".filter_val").val();
            var next = parseInt($op.val(), 10);
            // a single date carries over into 介于 as its start, and back
            var keep = spec.kind === "date" ? String(old || "").split(SEPARATOR)[0] : old;
            $row.find("td.filter-value").replaceWith(valueCell(column, spec, next, keep));
            $(document).trigger("console:filter-added", $row);
        });
        $row.append($("<td/>").append($remove), $('<td class="filter"/>').append($op),
                    valueCell(column, spec, operator, value));
        $rows.append($row);
        $(document).trigger("console:filter-added", $row);
    }

    $form.find("a.console-filter-add").on("click", function (e) {
        e.preventDefault();
        addRow($(this).data("column"), 0, null);
    });
    data.active.forEach(function (a) { addRow(a[0], a[1], a[2]); });
    if (data.active.length) { $form.closest(".panel-collapse").addClass("in"); }
    // An empty filter row is left out of the URL rather than sent as "no value".
    $form.on("submit", function () {
        $form.find(".filter_val").each(function () {
            if (this.type !== "checkbox" && !$(this).val()) { $(this).prop("disabled", true); }
        });
    });
})(jQuery);
