{#-
    Fails for every row where the metric `column_name` is null without a reason in
    `reason_column`, or has a value next to a reason (never null silently). Usage:

        - name: cas
          data_tests:
            - null_iff_reason:
                arguments:
                  reason_column: null_reason
-#}
{% test null_iff_reason(model, column_name, reason_column) %}

    select *
    from {{ model }}
    where ({{ column_name }} is null) != ({{ reason_column }} is not null)

{% endtest %}
