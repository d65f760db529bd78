"""Small steps a learner takes, through the real pages."""

import re

LESSON = "/courses/tiny-course/{module}/{lesson}/"
CHECK = LESSON.format(module="m-one", lesson="l-check")


def enrol(client, track="junior"):
    response = client.post_form("/courses/tiny-course/enrol", {"track": track})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def quiz_token(client, url=CHECK) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="token" name="token" type="hidden" value="([^"]+)"', html)
    assert match, "no quiz form on the page"
    return match.group(1)


def submit(client, answers: dict, token: str | None = None, url=CHECK, action="submit"):
    token = token or quiz_token(client, url)
    data = {"token": token, "action": action, **{f"answer-{k}": v for k, v in answers.items()}}
    return client.post_form(url + "quiz", data)


RIGHT = {"q-first": "a", "q-second": "Blue"}
WRONG = {"q-first": "b", "q-second": "red"}
