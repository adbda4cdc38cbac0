{#-
    The shape every headline CTE of model_leaderboard shares: the rows of the mart `relation`
    (aliased `alias`) in each version's latest run (the CTE `latest_runs`, of `instrument` when
    given) that pass `where`, grouped per model x model_version. The call block's body is the
    headline aggregates, e.g.

        {% call latest_run_headline(ref('self_consistency'), 'consistency') -%}
            avg(self_consistency) as mean_self_consistency
        {%- endcall %}
-#}
{% macro latest_run_headline(relation, alias, instrument=none, where=none) -%}
    select
        latest_runs.model,
        latest_runs.model_version,
        {{ caller() }}
    from {{ relation }} as {{ alias }}
    inner join latest_runs
        on {{ alias }}.run_id = latest_runs.run_id
        {%- if instrument %}
        and latest_runs.instrument = '{{ instrument }}'
        {%- endif %}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by latest_runs.model, latest_runs.model_version
{%- endmacro %}
