from django.urls import path

from .views import questionnaire, session_outcomes

urlpatterns = [
    path("sessions/<int:pk>/outcomes/", session_outcomes.session_outcomes, name="session_outcomes"),
    path(
        "sessions/<int:pk>/outcomes/send",
        session_outcomes.questionnaire_send,
        name="questionnaire_send",
    ),
    # The patient's questionnaire (no login: the token in the link is the key).
    path("questionnaire/thanks/", questionnaire.questionnaire_thanks, name="questionnaire_thanks"),
    path("questionnaire/<str:token>/", questionnaire.questionnaire, name="questionnaire"),
]
