/* 大客户管理台: related registers (customer …) searched as you type (Select2 ajax). */
$(function () {
    $("select.console-search-select").each(function () {
        var el = $(this);
        el.select2({
            theme: "bootstrap",
            width: "100%",
            allowClear: true,
            placeholder: el.data("placeholder") || "",
            ajax: {
                url: el.data("url"),
                dataType: "json",
                delay: 200,
                data: function (params) { return {q: params.term || ""}; },
                processResults: function (data) { return {results: data.results}; }
            }
        });
    });
});
