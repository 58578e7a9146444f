"""Routes of the people, segment, dedupe and GDPR pages."""

from django.urls import path

from maillage.people.views import dedupe, followup, gdpr, people, persuasion, segments, teams

urlpatterns = [
    path("", people.person_list, name="person_list"),
    path("<int:person_id>/", people.person_detail, name="person_detail"),
    path("<int:person_id>/interactions/", people.person_interaction, name="person_interaction"),
    path("<int:person_id>/consent/", people.person_consent, name="person_consent"),
    path("<int:person_id>/access-export/", gdpr.person_sar, name="person_sar"),
    path("<int:person_id>/erase/", gdpr.person_erase, name="person_erase"),
    path("segments/", segments.segment_list, name="segment_list"),
    path("segments/new/", segments.segment_create, name="segment_create"),
    path("segments/count/", segments.segment_count, name="segment_count"),
    path("segments/<int:segment_id>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:segment_id>/edit/", segments.segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/export/", segments.segment_export, name="segment_export"),
    path("team/", teams.team_detail, name="team_detail"),
    path("questions/", followup.question_list, name="question_list"),
    path("questions/<int:interaction_id>/", followup.question_detail, name="question_detail"),
    path("followup-rules/", followup.contact_policy_edit, name="contact_policy"),
    path("conflicts/", followup.conflict_page, name="conflict_list"),
    path("conflicts/reviewed/", followup.conflict_clear, name="conflict_clear"),
    path("persuasion/", persuasion.persuasion, name="persuasion"),
    path("duplicates/", dedupe.duplicate_list, name="duplicate_list"),
    path("duplicates/search/", dedupe.duplicate_search, name="duplicate_search"),
    path("duplicates/<int:candidate_id>/", dedupe.duplicate_review, name="duplicate_review"),
]
