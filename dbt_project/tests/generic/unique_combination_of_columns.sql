{#-
    Fails for every combination of `combination_of_columns` that occurs more than once.
    NULLs compare equal (GROUP BY semantics), so a nullable key column (e.g. `country`
    of persona-free prompts) is handled. Usage (model level):

        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [run_id, country, trial]
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set columns_csv = combination_of_columns | join(', ') %}

    select
        {{ columns_csv }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

{% endtest %}
