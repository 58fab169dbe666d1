"""Every example response of the contract documents parses into the models and dumps back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from bot.providers.livevox import models as lv
from bot.providers.routee import models as routee
from bot.providers.zoom import models as zoom
from tests.providers.provider_support import (
    ROUTEE_TRACKING_EXAMPLE,
    fill_placeholders,
    livevox_examples,
    spec_response_example,
    zoom_cc_sms_example,
    zoom_cc_voice_example,
    zoom_phone_session_example,
)


def roundtrip(model: type[BaseModel], example: Any) -> BaseModel:
    parsed = model.model_validate(example)
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == example
    # and through JSON, the way a cache or a job queue would store it
    assert model.model_validate_json(parsed.model_dump_json(by_alias=True, exclude_unset=True)) == parsed
    return parsed


def roundtrip_list(model: type[BaseModel], example: list[Any]) -> list[Any]:
    parsed: list[BaseModel] = TypeAdapter(list[model]).validate_python(example)  # type: ignore[valid-type]
    assert [item.model_dump(by_alias=True, exclude_unset=True) for item in parsed] == example
    return parsed


# -- Zoom (seeds 000, 002, 004; placeholders such as "<integer>" replaced by values of the real type)


def test_zoom_contact_center_sms_example() -> None:
    page = roundtrip(zoom.SmsLogPage, fill_placeholders(zoom_cc_sms_example()))
    assert isinstance(page, zoom.SmsLogPage)
    assert page.total_records == 42
    log = page.sms[0]
    assert log.direction == "inbound" and log.sms_types == ["sms", "mms"]
    assert log.queues and log.queues[0].queue_name == "<string>"
    assert log.started_at == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_zoom_contact_center_voice_example() -> None:
    page = roundtrip(zoom.VoiceCallPage, fill_placeholders(zoom_cc_voice_example()))
    assert isinstance(page, zoom.VoiceCallPage)
    call = page.voice_calls[1]
    assert call.result == "hang_up_calls" and call.recorded is True and call.total_duration == 7
    assert call.flows and call.flows[0].flow_name == "<string>"


def test_zoom_phone_session_details_example() -> None:
    example = zoom_phone_session_example()  # no placeholders in this one
    page = roundtrip(zoom.SmsHistoryPage, example)
    assert isinstance(page, zoom.SmsHistoryPage)
    message = page.sms_histories[0]
    assert message.message_type_name == "MMS" and message.inbound is True
    assert message.sent_at == datetime(2022, 3, 23, 2, 58, 1, tzinfo=UTC)
    assert message.sender and message.sender.phone_number == "18108001001"
    attachment = (message.attachments or [])[0]
    assert "jwt=" not in repr(attachment)  # signed download URLs stay out of reprs (and logs)


def test_zoom_timestamps_stay_as_sent_so_an_odd_value_never_breaks_a_page() -> None:
    call = zoom.VoiceCall.model_validate(fill_placeholders(zoom_cc_voice_example())["voice_calls"][0])
    assert call.start_time == "<string>" and call.started_at is None  # the seed's placeholder, kept


@pytest.mark.parametrize(
    ("spec", "path", "model"),
    [
        ("zoom-contact-center.openapi.json", "/contact_center/sms", zoom.SmsLogPage),
        ("zoom-contact-center.openapi.json", "/contact_center/voice_calls", zoom.VoiceCallPage),
        ("zoom-phone-sms.openapi.json", "/phone/sms/sessions", zoom.SmsSessionPage),
        ("zoom-phone-sms.openapi.json", "/phone/sms/sessions/{sessionId}", zoom.SmsHistoryPage),
    ],
)
def test_zoom_openapi_examples_roundtrip(spec: str, path: str, model: type[BaseModel]) -> None:
    roundtrip(model, spec_response_example(spec, path))


def test_zoom_sessions_page_properties() -> None:
    page = zoom.SmsSessionPage.model_validate(
        spec_response_example("zoom-phone-sms.openapi.json", "/phone/sms/sessions")
    )
    session = page.sms_sessions[0]
    assert session.last_access_at == datetime(2022, 3, 25, 2, 11, 27, tzinfo=UTC)
    assert session.participants and session.participants[0].owner
    assert session.participants[0].owner.type == "user"


def test_unknown_fields_are_kept() -> None:
    example = {"sms": [{"engagement_id": "e1", "brand_new": {"x": [1]}}], "extra": 1}
    page = zoom.SmsLogPage.model_validate(example)
    assert page.sms[0].model_extra == {"brand_new": {"x": [1]}}
    assert page.model_dump(by_alias=True, exclude_unset=True)["extra"] == 1


def test_zoom_token_repr_hides_the_token() -> None:
    token = zoom.ZoomToken.model_validate({"access_token": "eyJ-secret", "expires_in": 3600})
    assert "eyJ-secret" not in repr(token) and "eyJ-secret" not in str(token)


# -- LiveVox (seed 001: every JSON response example in the document)


@pytest.fixture(scope="module")
def lv_examples() -> dict[str, Any]:
    return livevox_examples()


def test_livevox_templates(lv_examples: dict[str, Any]) -> None:
    parsed = roundtrip(lv.TemplateList, lv_examples["templates"])
    assert isinstance(parsed, lv.TemplateList)
    assert parsed.templates[0].id == 75870 and parsed.templates[1].description == "sms_blast"


def test_livevox_sms_send_and_codes(lv_examples: dict[str, Any]) -> None:
    sent = roundtrip(lv.SmsSent, lv_examples["sms_send"])
    assert isinstance(sent, lv.SmsSent) and sent.transaction_id == 51644325690
    codes = roundtrip(lv.SmsCodeList, lv_examples["codes"])
    assert isinstance(codes, lv.SmsCodeList) and codes.list_sms_codes[0].code == "14159174458"


def test_livevox_channel_counts_keep_livevox_capitalisation(lv_examples: dict[str, Any]) -> None:
    counts = roundtrip(lv.ChannelCounts, lv_examples["channel_counts"])
    assert isinstance(counts, lv.ChannelCounts)
    assert counts.count_of_email_interactions_sent == 3
    assert counts.count_of_unread_sms_threads_in_personal_inbox == 1
    assert counts.count_of_active_email_threads_in_personal_inbox == 1
    assert not counts.model_extra  # every documented field is a declared one


def test_livevox_lists(lv_examples: dict[str, Any]) -> None:
    channels = roundtrip_list(lv.Channel, lv_examples["channels"])
    assert channels[2].channel_name == "Service 94981 VM" and channels[2].personal is False
    threads = roundtrip_list(lv.Thread, lv_examples["threads"])
    assert threads[0].thread_id == "56061444434" and threads[0].service_id == 94874
    agents = roundtrip_list(lv.TransferAgent, lv_examples["transfer_agents"])
    assert agents[0].agent_id == 645835 and agents[2].status == "READY"
    history = roundtrip_list(lv.HistoryMessage, lv_examples["history"])
    assert history[0].direction == "2" and history[0].inbound is False
    assert history[2].direction == "1" and history[2].inbound is True
    assert history[0].occurred_at == datetime(2022, 10, 20, 11, 2, 33, tzinfo=UTC)


def test_livevox_ids(lv_examples: dict[str, Any]) -> None:
    transfer = roundtrip(lv.TransferResult, lv_examples["transfer"])
    assert isinstance(transfer, lv.TransferResult) and transfer.id == "56047165976"
    sent = roundtrip(lv.AgentMessageSent, lv_examples["message_send"])
    assert isinstance(sent, lv.AgentMessageSent) and sent.id == "56284272387"


THREAD_WITH_CONTACT: dict[str, Any] = {
    "threadId": "56061444434",
    "channel": "SMS",
    "date": 1666263753000,
    "contactInfo": {
        "account": "1213",
        "originalAccountNumber": "A-1213",
        "firstName": "Kavita",
        "lastName": "Rao",
        "ssn": "123-45-6789",
        "dob": "1980-01-31",
        "phoneDetails": [
            {"number": "14154164061", "wireless": True, "dnc": True, "position": 1},
            {"number": "14155550100", "wireless": False, "dnc": False, "position": 2},
        ],
        "doNotDial": False,
        "doNotDialDaily": True,
        "smsOptInStatus": True,
        "zipCode": "94107",
    },
    "interactionUuid": "3f1c7a4e-0000-4000-8000-000000000000",
}


def test_livevox_contact_info_compliance_flags_and_sensitive_fields() -> None:
    thread = roundtrip(lv.Thread, THREAD_WITH_CONTACT)
    assert isinstance(thread, lv.Thread)
    contact = thread.contact_info
    assert contact is not None
    assert contact.do_not_dial is False and contact.do_not_dial_daily is True and contact.sms_opt_in_status
    assert contact.do_not_contact is True
    assert contact.number_is_dnc("+1 (415) 416-4061") and not contact.number_is_dnc("4155550100")
    assert contact.ssn == "123-45-6789"  # kept: nothing is lost ...
    for text in (repr(contact), repr(thread), str(contact)):  # ... but never shown
        assert "123-45-6789" not in text and "1980-01-31" not in text
    assert thread.occurred_at == datetime(2022, 10, 20, 11, 2, 33, tzinfo=UTC)


def test_livevox_login_repr_hides_the_session() -> None:
    login = lv.LoginResponse.model_validate({"sessionId": "sess-123", "userId": 1, "clientId": 2})
    assert "sess-123" not in repr(login)


# -- Routee (seed 003 has the field list, no example body)


def test_routee_tracking_page() -> None:
    page = roundtrip(routee.TrackingPage, ROUTEE_TRACKING_EXAMPLE)
    assert isinstance(page, routee.TrackingPage)
    sms = page.content[0]
    assert sms.from_ == "Switchboard" and sms.status and sms.status.status == "Delivered"
    assert sms.status.reason and sms.status.reason.detailed_status == "Delivered"
    assert sms.status.reported_at == datetime(2024, 6, 9, 10, 0, 3, tzinfo=UTC)


def test_routee_filter_serialises_to_routee_names() -> None:
    item = routee.TrackingFilter(field_name="status.status", search_term="Delivered", operator="is_not")
    assert item.model_dump(by_alias=True, exclude_none=True) == {
        "fieldName": "status.status",
        "searchTerm": "Delivered",
        "operator": "is_not",
    }
    with pytest.raises(ValueError, match="fieldName"):
        routee.TrackingFilter.model_validate({"fieldName": "body", "searchTerm": "x"})
