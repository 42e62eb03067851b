import Foundation
import Shared
import Synchronization
import Testing

@testable import prty_runner

/// The webhook's rules as a function of the request: routes, envelope, payload shapes, device id, signatures.
struct WebhookHandlerTests {
    final class Offers: Sendable {
        let seen = Mutex<[String]>([])
        let answer: TaskLifecycle.Offer
        init(_ answer: TaskLifecycle.Offer = .accepted) { self.answer = answer }
    }

    func handler(_ offers: Offers, secret: String? = nil, now: Double = 1_700_000_000) -> WebhookHandler {
        WebhookHandler(
            deviceID: "node-1", signature: secret.map { WebhookSignature(secret: $0) },
            offer: { id in
                offers.seen.withLock { $0.append(id) }
                return offers.answer
            }, now: { now })
    }

    func request(_ body: String, method: String = "POST", path: String = "/webhook", headers: HTTPHeaders = [:])
        -> HTTPServer.Request
    {
        HTTPServer.Request(method: method, target: path, headers: headers, body: Array(body.utf8))
    }

    @Test func objectPayloadIsOffered() {
        let offers = Offers()
        let response = handler(offers).handle(
            request(#"{"type":"available_tasks","payload":{"id":"t-1","type":"command"}}"#))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains("\"ok\""))
        #expect(offers.seen.withLock { $0 } == ["t-1"])
    }

    @Test func arrayPayloadOffersEachTask() {
        let offers = Offers()
        let response = handler(offers).handle(request(#"{"type":"available_tasks","payload":[{"id":"a"},{"id":"b"}]}"#))
        #expect(response.status == 200)
        #expect(offers.seen.withLock { $0 } == ["a", "b"])
    }

    @Test(arguments: [
        (TaskLifecycle.Offer.skipped, 200, "skipped"), (.busy, 409, "busy"), (.closed, 503, "shutting down"),
    ])
    func answersFollowTheGate(offer: TaskLifecycle.Offer, status: Int, word: String) {
        let response = handler(Offers(offer)).handle(request(#"{"type":"available_tasks","payload":{"id":"a"}}"#))
        #expect(response.status == status)
        #expect(String(decoding: response.body, as: UTF8.self).contains(word))
    }

    @Test func routesAndMethods() {
        let offers = Offers()
        #expect(handler(offers).handle(request("", method: "GET")).status == 405)
        #expect(handler(offers).handle(request("{}", path: "/other")).status == 404)
        #expect(handler(offers).handle(request("{}", path: "/webhook?x=1")).status == 200)
    }

    @Test(arguments: [
        "not json", "[]", #"{"type":"available_tasks"}"#, #"{"type":"available_tasks","payload":7}"#,
        #"{"type":"available_tasks","payload":{"title":"no id"}}"#,
        #"{"type":"available_tasks","payload":{"id":"../../etc/passwd"}}"#,
        #"{"type":"available_tasks","payload":[{"id":"ok"},{"id":""}]}"#,
    ])
    func badBodiesAre400(body: String) {
        let offers = Offers()
        #expect(handler(offers).handle(request(body)).status == 400)
        #expect(offers.seen.withLock { $0 }.isEmpty)
    }

    @Test func unknownTypesAreAcknowledged() {
        let offers = Offers()
        #expect(handler(offers).handle(request(#"{"type":"heartbeat","payload":{}}"#)).status == 200)
        #expect(offers.seen.withLock { $0 }.isEmpty)
    }

    @Test func anotherDevicesWebhookIsRefused() {
        let offers = Offers()
        let body = #"{"type":"available_tasks","payload":{"id":"a"}}"#
        #expect(handler(offers).handle(request(body, headers: ["X-Device-ID": "node-2"])).status == 403)
        #expect(handler(offers).handle(request(body, headers: ["X-Device-ID": "node-1"])).status == 200)
    }

    @Test func signatureIsCheckedWhenASecretIsSet() {
        let secret = "whsec_" + Data("a-shared-secret".utf8).base64EncodedString()
        let now = 1_700_000_000.0
        let body = #"{"type":"available_tasks","payload":{"id":"a"}}"#
        let signer = WebhookSignature(secret: secret)
        let good = signer.header(id: "msg_1", timestamp: "1700000000", body: Array(body.utf8))
        let headers: HTTPHeaders = [
            "webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": good,
        ]
        #expect(handler(Offers(), secret: secret, now: now).handle(request(body, headers: headers)).status == 200)
        // tampered body, stale timestamp, missing headers, a wrong signature among others
        #expect(handler(Offers(), secret: secret, now: now).handle(request(body + " ", headers: headers)).status == 401)
        #expect(handler(Offers(), secret: secret, now: now + 301).handle(request(body, headers: headers)).status == 401)
        #expect(handler(Offers(), secret: secret, now: now).handle(request(body)).status == 401)
        var several = headers
        several["webhook-signature"] = "v1,AAAA " + good
        #expect(handler(Offers(), secret: secret, now: now).handle(request(body, headers: several)).status == 200)
    }

    /// The Standard Webhooks reference vector (standard-webhooks spec, "Signature scheme" example).
    @Test func standardWebhooksVector() {
        let signer = WebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = #"{"test": 2432232314}"#
        let header = signer.header(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: Array(body.utf8))
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }
}
