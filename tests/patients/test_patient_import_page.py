from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from patients.models import Patient

CLEAN = "first_name,last_name,date_of_birth\nAna,Silva,1975-03-02\nBen,Okafor,1990-11-23\n"
BAD = "first_name,last_name,date_of_birth\n,Silva,1975-03-02\nBen,Okafor,1990-02-30\n"


def upload(client, text: str, clinic):
    csv_file = SimpleUploadedFile("patients.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("patient_import"), {"clinic": clinic.pk, "file": csv_file})


def test_front_desk_sees_each_bad_rows_problem_and_nothing_is_imported(
    client, front_desk, clinic_a
):
    client.force_login(front_desk)
    page = upload(client, BAD, clinic_a).content.decode()
    assert "first_name: This field is required." in page
    assert "but it is an invalid date" in page
    assert 'name="confirm"' not in page
    assert not Patient.objects.exists()


def test_front_desk_checks_then_confirms_a_clean_file_once(client, front_desk, clinic_a):
    client.force_login(front_desk)
    response = upload(client, CLEAN, clinic_a)
    assert response.status_code == 200 and not Patient.objects.exists()
    confirm = response.context["confirm"]
    data = {"clinic": clinic_a.pk, "text": confirm["text"].value(), "confirm": "1"}

    done = client.post(reverse("patient_import"), data, follow=True)
    assert done.redirect_chain[-1][0] == reverse("patient_list")
    assert "Imported 2 patients; 0 were already registered." in done.content.decode()
    again = client.post(reverse("patient_import"), data, follow=True)
    assert "Imported 0 patients; 2 were already registered." in again.content.decode()
    assert Patient.objects.filter(clinic=clinic_a).count() == 2


def test_a_confirm_aimed_at_another_clinic_is_refused(client, front_desk, clinic_b):
    client.force_login(front_desk)
    data = {"clinic": clinic_b.pk, "text": CLEAN, "confirm": "1"}
    client.post(reverse("patient_import"), data)
    assert not Patient.objects.exists()


def test_therapists_may_not_import_and_see_no_link(client, therapist):
    client.force_login(therapist)
    assert client.get(reverse("patient_import")).status_code == 403
    assert "Import patients" not in client.get(reverse("patient_list")).content.decode()


def test_the_patient_list_links_managers_to_the_import(client, manager):
    client.force_login(manager)
    page = client.get(reverse("patient_list")).content.decode()
    assert reverse("patient_import") in page
